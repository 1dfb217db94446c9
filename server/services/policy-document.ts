import { limits } from "../domain/limits.js";
import { KmsError } from "../errors/kms-error.js";
import type { PolicyCache, PolicyKind } from "../policy/index.js";

/**
 * Checks a policy document before it is stored, by compiling it into the policy cache, so a stored
 * policy always compiles and the lockout check and the first request that uses it find it compiled. A key policy over 32 KB is LimitExceededException, as in AWS; anything
 * else wrong is MalformedPolicyDocumentException.
 */
export function checkPolicyDocument(document: string, kind: PolicyKind, policies: PolicyCache): string {
  if (kind === "key" && Buffer.byteLength(document, "utf8") > limits.keyPolicyBytes) {
    throw new KmsError("LimitExceededException", `policy must be at most ${limits.keyPolicyBytes} bytes`);
  }
  policies.get(document, kind);
  return document;
}
