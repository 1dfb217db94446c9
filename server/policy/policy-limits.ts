import type { PolicyKind } from "./policy-types.js";

/**
 * The largest policy document accepted, in UTF-8 bytes: AWS allows 32 KB for key policies and
 * 10 KB (the IAM managed-policy and session-policy ceiling) for the others. Checked before
 * JSON.parse, so untrusted input costs bounded time and memory.
 */
export function maxPolicyBytes(kind: PolicyKind): number {
  return kind === "key" ? 32_768 : 10_240;
}
