import type { Interceptor } from "@connectrpc/connect";
import { callerKey, clockKey, regionKey } from "../context.js";
import { ASYMMETRIC_OPERATIONS, SYMMETRIC_OPERATIONS } from "../domain/cryptographic-operations.js";
import { TokenBucket } from "../domain/token-bucket.js";
import { KmsError } from "../errors/kms-error.js";

/** Request rates per account and region, by family, as AWS KMS sets them (0: no limit). */
export interface Quotas {
  readonly symmetricPerSecond: number;
  readonly asymmetricPerSecond: number;
  readonly controlPerSecond: number;
}

/**
 * Per-account request quotas on the KMS, like AWS KMS's: past its rate a family of operations is
 * refused with ThrottlingException, for that account and region only; clients back off and retry.
 */
export function createQuotaInterceptor(quotas: Quotas, regionalService: string): Interceptor {
  const buckets = new Map<string, TokenBucket>();
  // Not async: it awaits nothing, and a promise per interceptor per request adds up.
  return (next) => (req) => {
    const caller = req.contextValues.get(callerKey);
    if (req.service.typeName !== regionalService || !caller) return next(req);
    const family = SYMMETRIC_OPERATIONS.has(req.method.name) ? "symmetric" : ASYMMETRIC_OPERATIONS.has(req.method.name) ? "asymmetric" : "control";
    const rate = family === "symmetric" ? quotas.symmetricPerSecond : family === "asymmetric" ? quotas.asymmetricPerSecond : quotas.controlPerSecond;
    if (rate > 0) {
      const now = req.contextValues.get(clockKey)();
      const name = `${caller.accountId}/${req.contextValues.get(regionKey)?.name}/${family}`;
      let bucket = buckets.get(name);
      if (!bucket) buckets.set(name, (bucket = new TokenBucket(rate, now)));
      if (!bucket.take(now)) {
        throw new KmsError("ThrottlingException", `the ${family} request rate of account ${caller.accountId} is over its quota of ${rate} per second; retry with backoff`);
      }
    }
    return next(req);
  };
}
