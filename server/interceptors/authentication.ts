import { getOption, hasOption } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { unauthenticated } from "../../gen/kms/v1/options_pb.js";
import { callerKey, clockKey, requestContextKey } from "../context.js";
import { KmsError } from "../errors/kms-error.js";
import { authenticate, AuthenticationError } from "../identity/authenticate.js";
import type { IdentityStore } from "../identity/identity-store.js";

/**
 * Every RPC needs a bearer session token, except those the contract marks
 * (kms.v1.unauthenticated) (Login). No credentials, bad, expired or revoked ones stop the
 * request here with UNAUTHENTICATED; nothing after this interceptor runs.
 */
export function createAuthenticationInterceptor(identities: IdentityStore, partition: string): Interceptor {
  return (next) => async (req) => {
    if (hasOption(req.method, unauthenticated) && getOption(req.method, unauthenticated)) return next(req);
    const header = req.header.get("authorization");
    if (header === null || header === "") throw new KmsError("MissingAuthenticationTokenException", "this call needs credentials: send 'authorization: Bearer <session token>' (get one with IdentityService.Login)");
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new KmsError("UnrecognizedClientException", "the authorization header must be 'Bearer <session token>'");
    try {
      const caller = await authenticate(identities, m[1]!, req.contextValues.get(clockKey)(), partition);
      req.contextValues.set(callerKey, caller);
      const context = req.contextValues.get(requestContextKey);
      if (context) context.principal = caller.arn;
    } catch (e) {
      if (!(e instanceof AuthenticationError)) throw e;
      throw new KmsError(/expired/.test(e.message) ? "ExpiredTokenException" : "UnrecognizedClientException", e.message);
    }
    return next(req);
  };
}
