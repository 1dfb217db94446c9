import { limits } from "../domain/limits.js";
import { KmsError } from "../errors/kms-error.js";
import { principalIdsOf } from "../authorization/policy-principals.js";
import type { IdentityStore } from "../identity/identity-store.js";
import type { PolicyCache, PolicyKind, PrincipalIds } from "../policy/index.js";

/**
 * Checks a policy document before it is stored, by compiling it into the policy cache, so a stored
 * policy always compiles and the lockout check and the first request that uses it find it compiled. A key policy over 32 KB is LimitExceededException, as in AWS; anything
 * else wrong is MalformedPolicyDocumentException.
 */
export function checkPolicyDocument(document: string, kind: PolicyKind, policies: PolicyCache): string {
  if (kind === "key" && Buffer.byteLength(document, "utf8") > limits.keyPolicyBytes) {
    throw new KmsError("LimitExceededException", `policy must be at most ${limits.keyPolicyBytes} bytes`);
  }
  const compiled = policies.get(document, kind);
  // Refused when saved, not when compiled, so a policy stored before still compiles: AWS supports
  // NotPrincipal only with Deny, and not at all in a role's trust policy.
  const notPrincipal = compiled.statements.find((s) => s.principal?.negated && (kind === "trust" || s.effect === "Allow"));
  if (notPrincipal) throw new KmsError("MalformedPolicyDocumentException", `Statement[${notPrincipal.index}]: NotPrincipal is supported only with "Effect": "Deny"${kind === "trust" ? ", and not in a trust policy" : ""}`);
  return document;
}

/** The unique ids of the users and roles a checked key or trust policy names (see principalIdsOf); undefined when it names none. */
export async function principalIdsFor(document: string, kind: "key" | "trust", services: { readonly policies: PolicyCache; readonly identities: IdentityStore; readonly partition: string }): Promise<PrincipalIds | undefined> {
  const ids = await principalIdsOf(services.policies.get(document, kind), services.identities, services.partition);
  return Object.keys(ids).length > 0 ? ids : undefined;
}
