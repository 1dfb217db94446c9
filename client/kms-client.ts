import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { AuditService } from "../gen/kms/v1/audit_service_pb.js";
import { IdentityService } from "../gen/kms/v1/identity_service_pb.js";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { tokenSource, type KmsCredentials } from "./credentials.js";
import { KmsServiceError } from "./kms-service-error.js";
import { backoffMs, retryable, type RetryOptions } from "./retry-policy.js";

/** What a KMS client is made with, whatever the platform. */
export interface KmsClientOptions {
  /** The region every call is for (the server's first region when not set). */
  readonly region?: string;
  readonly credentials?: KmsCredentials;
  readonly retry?: RetryOptions;
  /** The clock that decides when to renew a session (tests move it). */
  readonly now?: () => number;
}

/** The typed clients of the three services, sharing one authenticated, retrying transport. */
export interface KmsClient {
  readonly kms: Client<typeof KeyManagementService>;
  readonly identity: Client<typeof IdentityService>;
  readonly audit: Client<typeof AuditService>;
  /** Another region's client on the same connection and credentials. */
  forRegion(region: string): KmsClient;
}

/**
 * The client core over any transport: every call carries a fresh bearer token and the region
 * header, is retried with backoff and jitter when that is safe (see retry-policy.ts), and fails
 * with a KmsServiceError naming the AWS exception. An expired session is renewed once and the
 * call made again (the service refused it before doing anything).
 */
export function kmsClientOver(transport: (interceptors: Interceptor[]) => Transport, options: KmsClientOptions): KmsClient {
  const plain = transport([]);
  const tokens = options.credentials ? tokenSource(options.credentials, plain, options.now) : undefined;
  const build = (region: string | undefined): KmsClient => {
    const callHeaders: Interceptor = (next) => async (req) => {
      if (tokens) req.header.set("authorization", `Bearer ${await tokens.token()}`);
      if (region !== undefined) req.header.set("x-kms-region", region);
      return next(req);
    };
    const typedErrorsAndRetries: Interceptor = (next) => async (req) => {
      const maxAttempts = req.stream ? 1 : Math.max(1, options.retry?.maxAttempts ?? 4);
      for (let attempt = 1; ; attempt++) {
        try {
          return await next(req);
        } catch (e) {
          const error = KmsServiceError.from(e);
          if (error.exception === "ExpiredTokenException" && tokens && attempt === 1) {
            // The token this attempt sent, as the header interceptor set it.
            tokens.invalidate(req.header.get("authorization")?.replace(/^Bearer /, "") ?? "");
            continue;
          }
          if (attempt >= maxAttempts || !retryable(req.method.name, error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, options.retry ?? {})));
        }
      }
    };
    // Retries wrap the header interceptor, so a retry after renewal sends the new token.
    const authenticated = transport([typedErrorsAndRetries, callHeaders]);
    return {
      kms: createClient(KeyManagementService, authenticated),
      identity: createClient(IdentityService, authenticated),
      audit: createClient(AuditService, authenticated),
      forRegion: (other) => build(other),
    };
  };
  return build(options.region);
}
