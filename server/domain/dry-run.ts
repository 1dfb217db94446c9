import { DryRunModifierType } from "../../gen/kms/v1/types_pb.js";

/**
 * A dry run with IGNORE_CIPHERTEXT checks the request and the caller's permission on the key
 * the request names without looking at the ciphertext, so a caller can test access before it
 * has one.
 */
export function ignoresCiphertext(message: { dryRun?: unknown; dryRunModifiers?: unknown }): boolean {
  return message.dryRun === true && Array.isArray(message.dryRunModifiers) && message.dryRunModifiers.includes(DryRunModifierType.IGNORE_CIPHERTEXT);
}
