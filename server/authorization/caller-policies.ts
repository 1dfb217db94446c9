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

const resourceAliasMentions = new WeakMap<CompiledPolicy, boolean>();

/** Whether a policy conditions on kms:ResourceAliases (worked out once per compiled policy). */
export function mentionsResourceAliases(policy: CompiledPolicy): boolean {
  let mentions = resourceAliasMentions.get(policy);
  if (mentions === undefined) {
    mentions = policy.statements.some((s) => s.conditions.some((c) => c.key === "kms:resourcealiases"));
    resourceAliasMentions.set(policy, mentions);
  }
  return mentions;
}

/** Loads a user's or role's identity policies; compiled policies come from the bounded cache. */
export async function loadCallerPolicies(identities: IdentityStore, cache: PolicyCache, caller: Caller): Promise<CallerPolicies> {
  const documents = await identities.listPolicies({ kind: caller.kind === "user" ? "user" : "role", accountId: caller.accountId, name: caller.name });
  const identityPolicies = documents.map(({ name, document }) => ({ name, policy: cache.get(document, "identity") }));
  const sessionPolicy = caller.sessionPolicy !== undefined ? cache.get(caller.sessionPolicy, "session") : undefined;
  return {
    identityPolicies,
    mentionsResourceAliases: identityPolicies.some((p) => mentionsResourceAliases(p.policy)) || (sessionPolicy !== undefined && mentionsResourceAliases(sessionPolicy)),
    ...(sessionPolicy !== undefined ? { sessionPolicy } : {}),
  };
}
