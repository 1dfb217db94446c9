import type { Interceptor } from "@connectrpc/connect";
import { callerKey, clockKey, connectionKey, requestContextKey, sigV4RequestKey } from "../context.js";
import { KmsError } from "../errors/kms-error.js";
import { authenticateCertificate, authenticateSigV4, AuthenticationError } from "../identity/authenticate.js";
import type { Caller } from "../identity/caller.js";
import type { IdentityStore } from "../identity/identity-store.js";
import type { VerifiedSessions } from "../identity/verified-sessions.js";
import { methodOptions } from "../method-options.js";
import type { ChainRequest, Next } from "./next.js";
import { REGION_HEADER } from "./region.js";

/**
 * Every RPC needs a bearer session token, or a client certificate mapped to a user when mutual
 * TLS is configured, except those the contract marks (kms.v1.unauthenticated) (Login). No
 * credentials, bad, expired or revoked ones stop the request here with UNAUTHENTICATED.
 */
export function createAuthenticationInterceptor(
  identities: IdentityStore,
  sessions: VerifiedSessions,
  partition: string,
  certificatePrincipals: ReadonlyMap<string, string> = new Map(),
  isKnownRegion: (region: string) => boolean = () => true,
): Interceptor {
  // Calls that need no credentials pass without a promise of ours.
  return (next) => (req) => (methodOptions(req.method).unauthenticated ? next(req) : authenticated(next, req));
  async function authenticated(next: Next, req: ChainRequest) {
    const header = req.header.get("authorization") ?? "";
    const cn = req.contextValues.get(connectionKey).clientCertificateCn;
    const signed = req.contextValues.get(sigV4RequestKey);
    let caller: Caller;
    if (signed) {
      const verified = await refuseUnless(() => authenticateSigV4(identities, signed, req.contextValues.get(clockKey)(), partition, isKnownRegion));
      caller = verified.caller;
      // The region is the verified credential scope's, whatever else the request says.
      req.header.set(REGION_HEADER, verified.region);
    } else if (header === "" && cn !== undefined && certificatePrincipals.size > 0) {
      caller = await refuseUnless(() => authenticateCertificate(identities, cn, certificatePrincipals, partition));
    } else {
      if (header === "") throw new KmsError("MissingAuthenticationTokenException", "this call needs credentials: send 'authorization: Bearer <session token>' (get one with IdentityService.Login)");
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new KmsError("UnrecognizedClientException", "the authorization header must be 'Bearer <session token>'");
      caller = await refuseUnless(() => sessions.authenticate(m[1]!, req.contextValues.get(clockKey)(), partition));
    }
    req.contextValues.set(callerKey, caller);
    const context = req.contextValues.get(requestContextKey);
    if (context) context.principal = caller.arn;
    return next(req);
  }
}

/** Turns an authentication failure into the exception AWS gives for it. */
async function refuseUnless<T>(authenticateCaller: () => Promise<T>): Promise<T> {
  try {
    return await authenticateCaller();
  } catch (e) {
    if (!(e instanceof AuthenticationError)) throw e;
    throw new KmsError(/expired/.test(e.message) ? "ExpiredTokenException" : "UnrecognizedClientException", e.message);
  }
}
