import { cors as connectCors } from "@connectrpc/connect";
import type { NodeHandlerFn } from "./http-listener.js";

type Request = Parameters<NodeHandlerFn>[0];
type Response = Parameters<NodeHandlerFn>[1];

/** Headers a browser may send: what Connect and gRPC-web need, plus the KMS's own. */
export const CORS_ALLOWED_HEADERS: readonly string[] = unique([...connectCors.allowedHeaders, "authorization", "x-kms-region"]);

/** Headers a browser may read: the status and error details of gRPC-web and Connect, and the request id. */
export const CORS_EXPOSED_HEADERS: readonly string[] = unique([...connectCors.exposedHeaders, "x-request-id"]);

/** How long a browser may cache a preflight answer (Chromium caps it at 2 hours). */
export const CORS_MAX_AGE_SECONDS = 7200;

/**
 * CORS for browser clients (Connect-web, gRPC-web) served from other origins. Only the exact
 * origins configured are allowed, never "*": for them, a preflight (OPTIONS with
 * Access-Control-Request-Method) is answered 204 here, and other requests get their origin
 * echoed with credentials allowed and the error headers exposed. Any other origin gets no CORS
 * headers, so the browser withholds the answer; its preflights are refused with 403.
 *
 * Returns undefined when no origin is configured (CORS off), or a function that adds the
 * headers to a response and returns true when it answered the request itself (a preflight).
 */
export function createCors(origins: readonly string[]): ((req: Request, res: Response) => boolean) | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  const preflightHeaders = {
    "access-control-allow-methods": connectCors.allowedMethods.join(", "),
    "access-control-allow-headers": CORS_ALLOWED_HEADERS.join(", "),
    "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
    "access-control-allow-credentials": "true",
  };
  const exposed = CORS_EXPOSED_HEADERS.join(", ");
  return (req, res) => {
    const origin = req.headers.origin;
    const out = res as unknown as { setHeader(name: string, value: string): void; writeHead(status: number, headers: Record<string, string>): void; end(): void };
    // The answer depends on the Origin header, for any cache on the way.
    out.setHeader("vary", "Origin");
    const preflight = req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"] !== undefined;
    if (origin === undefined || !allowed.has(origin)) {
      if (!preflight) return false;
      out.writeHead(403, { "content-length": "0" });
      out.end();
      return true;
    }
    if (preflight) {
      out.writeHead(204, { "access-control-allow-origin": origin, ...preflightHeaders });
      out.end();
      return true;
    }
    out.setHeader("access-control-allow-origin", origin);
    out.setHeader("access-control-allow-credentials", "true");
    out.setHeader("access-control-expose-headers", exposed);
    return false;
  };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))];
}
