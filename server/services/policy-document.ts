import { limits } from "../domain/limits.js";
import { KmsError } from "../errors/kms-error.js";
import { parsePolicy, type PolicyKind } from "../policy/index.js";

/**
 * Checks a policy document before it is stored, with the policy engine's own parser, so a stored
 * policy always compiles. A key policy over 32 KB is LimitExceededException, as in AWS; anything
 * else wrong is MalformedPolicyDocumentException.
 */
export function checkPolicyDocument(document: string, kind: PolicyKind): string {
  if (kind === "key" && Buffer.byteLength(document, "utf8") > limits.keyPolicyBytes) {
    throw new KmsError("LimitExceededException", `policy must be at most ${limits.keyPolicyBytes} bytes`);
  }
  parsePolicy(document, kind);
  return document;
}
