import { Code } from "@connectrpc/connect";
import type { KmsServiceError } from "./kms-service-error.js";

/** How persistently a client retries. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 4; 1 turns retries off). */
  readonly maxAttempts?: number;
  /** The first backoff (default 50 ms); each later one doubles, up to maxDelayMs (default 2 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * RPCs that change nothing, so a repeat is harmless even if the first attempt was carried out
 * before the connection failed. Every other RPC (CreateKey, CreateGrant, ...) is retried only
 * when the service refused it before doing anything (throttled).
 */
const SAFE_TO_REPEAT = new Set([
  "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
  "GenerateRandom", "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret", "Encapsulate", "Decapsulate", "GetPublicKey",
  "DescribeKey", "ListKeys", "ListAliases", "ListGrants", "ListRetirableGrants", "ListKeyPolicies", "GetKeyPolicy", "GetKeyRotationStatus",
  "ListKeyRotations", "ListResourceTags", "GetKeyLastUsage", "GetCallerIdentity", "ListAuditRecords", "VerifyAuditTrail",
]);

/** Whether a failed attempt of this RPC may be made again. */
export function retryable(rpc: string, error: KmsServiceError): boolean {
  // Refused before it ran: the quota or the in-flight limit.
  if (error.exception === "ThrottlingException" || error.code === Code.ResourceExhausted) return true;
  // The service could not be reached, or the connection broke: perhaps it ran.
  if (error.code === Code.Unavailable || error.exception === "KMSInternalException" || error.code === Code.DeadlineExceeded) return SAFE_TO_REPEAT.has(rpc);
  return false;
}

/** Exponential backoff with full jitter (a random wait up to the doubled ceiling), so retrying clients spread out. */
export function backoffMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? 50;
  const ceiling = Math.min(options.maxDelayMs ?? 2000, base * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}
