import { encodedContextSize, type EncryptionContext } from "../crypto/encryption-context.js";
import { KmsError, validationError } from "../errors/kms-error.js";
import { limits } from "./limits.js";

/** Checks a byte field's length; the message names the field, never its content. */
export function checkByteLength(field: string, value: Uint8Array, range: { min: number; max: number }): void {
  if (value.length < range.min || value.length > range.max) {
    throw validationError(`${field} must be ${range.min}-${range.max} bytes, got ${value.length}`);
  }
}

/** Checks an integer parameter against a range. */
export function checkIntRange(field: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw validationError(`${field} must be between ${range.min} and ${range.max}, got ${value}`);
  }
}

/** The page size of a list call: 1-1000, 100 when absent, unless AWS sets the operation other bounds. */
export function listLimit(limit: number | undefined, range: { min: number; max: number; default: number } = limits.listLimit): number {
  if (limit === undefined) return range.default;
  checkIntRange("limit", limit, range);
  return limit;
}

/** Checks a description's length. */
export function checkDescription(description: string): void {
  if (description.length > limits.descriptionChars) {
    throw validationError(`description must be at most ${limits.descriptionChars} characters, got ${description.length}`);
  }
}

/** Checks an encryption context: non-empty keys and a bounded size. Its values are not secret, but not echoed either. */
export function checkEncryptionContext(field: string, context: EncryptionContext): void {
  for (const key of Object.keys(context)) {
    if (key === "") throw validationError(`${field} keys must not be empty`);
  }
  const size = encodedContextSize(context);
  if (size > limits.encryptionContextBytes) {
    throw validationError(`${field} must encode to at most ${limits.encryptionContextBytes} bytes, got ${size}`);
  }
}

/**
 * An encryption context that a new ciphertext, data key or grant is bound to: as
 * checkEncryptionContext, and no two keys that differ only in case. Conditions read
 * kms:EncryptionContext:<key> with the key's case ignored, as IAM does, so two such pairs would let
 * the caller choose which value a condition sees (AWS advises against them). Decrypt still takes
 * them, so nothing encrypted before is locked out.
 */
export function checkNewEncryptionContext(field: string, context: EncryptionContext): void {
  checkEncryptionContext(field, context);
  const keys = Object.keys(context);
  if (keys.length > 1 && new Set(keys.map((k) => k.toLowerCase())).size < keys.length) {
    throw validationError(`${field} has keys that differ only in case; policies could not tell them apart`);
  }
}

/** Refuses a request that asks for a Nitro Enclaves recipient, which this server does not support. */
export function refuseRecipient(recipient: unknown): void {
  if (recipient !== undefined) {
    throw new KmsError("UnsupportedOperationException", "recipient (attested enclave responses) is not supported by this server");
  }
}

/** After every check has passed, a dry run stops here with the exception AWS uses to say "would have succeeded". */
export function stopIfDryRun(dryRun: boolean): void {
  if (dryRun) throw new KmsError("DryRunOperationException", "The request would have succeeded, but the DryRun flag is set.");
}
