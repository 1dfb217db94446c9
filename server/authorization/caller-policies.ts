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

/** Compiled identity policies, by the document list they were compiled from, then by session policy. */
const compiled = new WeakMap<ReadonlyArray<{ name: string; document: string }>, Map<string | undefined, CallerPolicies>>();

/**
 * Loads a user's or role's identity policies; compiled policies come from the bounded cache,
 * and the whole set is remembered on the (cached) document list it was made from.
 */
export async function loadCallerPolicies(identities: IdentityStore, cache: PolicyCache, caller: Caller): Promise<CallerPolicies> {
  const documents = await identities.listPolicies({ kind: caller.kind === "user" ? "user" : "role", accountId: caller.accountId, name: caller.name });
  let bySessionPolicy = compiled.get(documents);
  if (!bySessionPolicy) compiled.set(documents, (bySessionPolicy = new Map()));
  let policies = bySessionPolicy.get(caller.sessionPolicy);
  if (!policies) {
    policies = compile(documents, cache, caller.sessionPolicy);
    // Session policies are as many as sessions: keep the 64 compiled last for a document list.
    if (bySessionPolicy.size >= 64) bySessionPolicy.delete(bySessionPolicy.keys().next().value);
    bySessionPolicy.set(caller.sessionPolicy, policies);
  }
  return policies;
}

function compile(documents: ReadonlyArray<{ name: string; document: string }>, cache: PolicyCache, session: string | undefined): CallerPolicies {
  const identityPolicies = documents.map(({ name, document }) => ({ name, policy: cache.get(document, "identity") }));
  const sessionPolicy = session !== undefined ? cache.get(session, "session") : undefined;
  return {
    identityPolicies,
    mentionsResourceAliases: identityPolicies.some((p) => mentionsResourceAliases(p.policy)) || (sessionPolicy !== undefined && mentionsResourceAliases(sessionPolicy)),
    ...(sessionPolicy !== undefined ? { sessionPolicy } : {}),
  };
}
