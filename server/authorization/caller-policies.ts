import type { Caller } from "../identity/caller.js";
import type { IdentityStore } from "../identity/identity-store.js";
import type { CompiledPolicy, PolicyCache } from "../policy/index.js";

/** The identity policies (and session policy) that speak for a caller, compiled. */
export interface CallerPolicies {
  readonly identityPolicies: ReadonlyArray<{ readonly name: string; readonly policy: CompiledPolicy }>;
  readonly sessionPolicy?: CompiledPolicy;
  /** Whether any of them conditions on kms:ResourceAliases (which costs a read to supply). */
  readonly mentionsResourceAliases: boolean;
}

/** Whether a policy document conditions on kms:ResourceAliases. */
export function mentionsResourceAliases(document: string): boolean {
  return /kms:resourcealiases/i.test(document);
}

/** Loads a user's or role's identity policies; compiled policies come from the bounded cache. */
export async function loadCallerPolicies(identities: IdentityStore, cache: PolicyCache, caller: Caller): Promise<CallerPolicies> {
  const documents = await identities.listPolicies({ kind: caller.kind === "user" ? "user" : "role", accountId: caller.accountId, name: caller.name });
  return {
    identityPolicies: documents.map(({ name, document }) => ({ name, policy: cache.get(document, "identity") })),
    mentionsResourceAliases: documents.some((d) => mentionsResourceAliases(d.document)) || (caller.sessionPolicy !== undefined && mentionsResourceAliases(caller.sessionPolicy)),
    ...(caller.sessionPolicy !== undefined ? { sessionPolicy: cache.get(caller.sessionPolicy, "session") } : {}),
  };
}
