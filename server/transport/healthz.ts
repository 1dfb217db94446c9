import type { NodeHandlerFn } from "./http-listener.js";

type Request = Parameters<NodeHandlerFn>[0];
type Response = Parameters<NodeHandlerFn>[1];

/** The path load balancers probe. */
export const HEALTHZ_PATH = "/healthz";

const bodies = {
  serving: Buffer.from(JSON.stringify({ status: "SERVING" })),
  notServing: Buffer.from(JSON.stringify({ status: "NOT_SERVING" })),
};

/**
 * GET (or HEAD) /healthz for load balancers that speak plain HTTP, on the gRPC port, over
 * HTTP/1.1 and HTTP/2: 200 {"status":"SERVING"}, or 503 {"status":"NOT_SERVING"} once the server
 * drains or its store is closed. It runs before the interceptors, so it needs no credentials,
 * is not audited and not logged. Anything else is handed to `otherwise` (404 by default): this
 * is connect-node's fallback, which sees only paths that are no RPC.
 */
export function createHealthzHandler(isServing: () => boolean, otherwise: NodeHandlerFn = notFound): NodeHandlerFn {
  return (req, res) => {
    if (pathOf(req) !== HEALTHZ_PATH) return otherwise(req, res);
    const out = res as unknown as { writeHead(status: number, headers: Record<string, string | number>): void; end(body?: Buffer): void };
    if (req.method !== "GET" && req.method !== "HEAD") {
      out.writeHead(405, { allow: "GET, HEAD", "content-length": 0 });
      out.end();
      return;
    }
    const serving = isServing();
    const body = serving ? bodies.serving : bodies.notServing;
    out.writeHead(serving ? 200 : 503, {
      "content-type": "application/json",
      "content-length": body.length,
      "cache-control": "no-store",
      // A draining server sends HTTP/1.1 clients elsewhere (HTTP/2 has GOAWAY for that).
      ...(!serving && req.httpVersionMajor === 1 ? { connection: "close" } : {}),
    });
    out.end(req.method === "HEAD" ? undefined : body);
  };
}

function pathOf(req: Request): string {
  const url = req.url ?? "";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

const notFound: NodeHandlerFn = (_req: Request, res: Response) => {
  res.writeHead(404);
  res.end();
};
