import type { CompiledPolicy } from "./compiled-policy.js";
import { evaluatePolicy } from "./evaluate-policy.js";
import { grantAllows, type GrantRule } from "./grant-rule.js";
import type { AccessRequest, PolicyDecision, PrincipalIds, StatementRef } from "./policy-types.js";

/** Everything that bears on one request: the key's policy and grants (for actions on a key) and the caller's policies. */
export interface AuthorizationInput {
  readonly request: AccessRequest;
  /** Present for actions on a key; absent for key-less actions (CreateKey, ListKeys, ListAliases, GenerateRandom, iam:*). */
  readonly key?: {
    readonly policy: CompiledPolicy;
    readonly accountId: string;
    readonly grants: readonly GrantRule[];
    /** The request's encryption context, for grant constraints. */
    readonly encryptionContext?: Readonly<Record<string, string>>;
    /** The unique ids of the users and roles the key policy names. */
    readonly principalIds?: PrincipalIds;
  };
  /**
   * Present for sts:AssumeRole: the role's trust policy, the resource-based policy of a role. It
   * decides as a key policy does (rules 3 and 4), with no grants.
   */
  readonly role?: {
    readonly trustPolicy: CompiledPolicy;
    readonly accountId: string;
    /** The unique ids of the users and roles the trust policy names. */
    readonly principalIds?: PrincipalIds;
  };
  /** The caller's identity-based policies (user or role attached policies), by name. */
  readonly identityPolicies: ReadonlyArray<{ readonly name: string; readonly policy: CompiledPolicy }>;
  /** For a role session created with a session policy. */
  readonly sessionPolicy?: CompiledPolicy;
}

/** One thing that took part in a decision, for logs and audit records. */
export interface DecidedBy {
  readonly source: "key-policy" | "trust-policy" | "identity-policy" | "session-policy" | "grant";
  /** The identity policy's name. */
  readonly name?: string;
  readonly statement?: StatementRef;
  readonly grantId?: string;
}

/** The kind of policy an AccessDeniedException message names, in AWS's words. */
export type PolicyType = "resource-based" | "identity-based" | "session";

/** Why a request was refused; `missing` says which kind of policy would have had to allow it. */
export type AuthorizationDenial =
  | { readonly allowed: false; readonly reason: "explicit-deny"; readonly decidedBy: DecidedBy }
  | { readonly allowed: false; readonly reason: "no-allow"; readonly missing: PolicyType };

/** The verdict on a request: allowed, with what allowed it, or a denial. */
export type AuthorizationResult = { readonly allowed: true; readonly decidedBy: readonly DecidedBy[] } | AuthorizationDenial;

function statementOf(decision: PolicyDecision): StatementRef | undefined {
  return decision.effect === "None" ? undefined : decision.statement;
}

function deny(source: DecidedBy["source"], decision: PolicyDecision, name?: string): AuthorizationDenial {
  const decidedBy: DecidedBy = { source, ...(name !== undefined ? { name } : {}), statement: statementOf(decision)! };
  return { allowed: false, reason: "explicit-deny", decidedBy };
}

function noAllow(missing: PolicyType): AuthorizationDenial {
  return { allowed: false, reason: "no-allow", missing };
}

/**
 * Decides a request as AWS KMS (and, for roles, STS) does.
 * 1. An explicit Deny in the key policy, an identity policy or the session policy denies.
 * 2. A key-less action needs an identity-policy Allow.
 * 3. On a key of the caller's account: a key-policy statement naming the caller allows; one naming
 *    the account ("the key trusts the account's IAM") allows together with an identity-policy Allow.
 * 4. On a key of another account: the key policy (naming the caller or its account) AND an
 *    identity policy of the caller must both allow.
 * 5. A grant whose grantee is the caller allows its operations, in any account; grants never deny.
 * A role's trust policy takes the key policy's place in 1, 3 and 4 for sts:AssumeRole.
 * With a session policy, every path must also be allowed by it, except a resource-policy statement
 * that names the caller's exact session ARN (AWS does not narrow that one).
 */
export function authorize(input: AuthorizationInput): AuthorizationResult {
  const { request, key, role, identityPolicies, sessionPolicy } = input;
  // The resource-based policy: the key's, or the role's trust policy (plain values: this runs on every request).
  const resourcePolicy = key ? key.policy : role?.trustPolicy;
  const resourceSource = key ? "key-policy" : "trust-policy";

  const resourceDecision: PolicyDecision = resourcePolicy ? evaluatePolicy(resourcePolicy, request, key ? key.principalIds : role?.principalIds) : { effect: "None" };
  if (resourceDecision.effect === "Deny") return deny(resourceSource, resourceDecision);

  let identityAllow: DecidedBy | undefined;
  for (const { name, policy } of identityPolicies) {
    const decision = evaluatePolicy(policy, request);
    if (decision.effect === "Deny") return deny("identity-policy", decision, name);
    if (decision.effect === "Allow" && !identityAllow) identityAllow = { source: "identity-policy", name, statement: decision.statement };
  }

  const sessionDecision: PolicyDecision | undefined = sessionPolicy ? evaluatePolicy(sessionPolicy, request) : undefined;
  if (sessionDecision?.effect === "Deny") return deny("session-policy", sessionDecision);
  // What the session policy adds to an allow path: nothing without one, undefined when it does not allow.
  const sessionPart: DecidedBy[] | undefined =
    sessionDecision === undefined ? [] : sessionDecision.effect === "Allow" ? [{ source: "session-policy", statement: sessionDecision.statement }] : undefined;

  if (!resourcePolicy) {
    if (!identityAllow) return noAllow("identity-based");
    return sessionPart ? { allowed: true, decidedBy: [identityAllow, ...sessionPart] } : noAllow("session");
  }

  const sameAccount = request.principal.accountId === (key ? key.accountId : role!.accountId);
  let missing: PolicyType = "resource-based";
  if (resourceDecision.effect === "Allow") {
    const resourcePart: DecidedBy = { source: resourceSource, statement: resourceDecision.statement };
    if (sameAccount && resourceDecision.via === "direct") {
      if (resourceDecision.namesSession) return { allowed: true, decidedBy: [resourcePart] };
      if (sessionPart) return { allowed: true, decidedBy: [resourcePart, ...sessionPart] };
      missing = "session";
    } else if (!identityAllow) {
      missing = "identity-based";
    } else if (sessionPart) {
      return { allowed: true, decidedBy: [resourcePart, identityAllow, ...sessionPart] };
    } else {
      missing = "session";
    }
  }

  const grant = key?.grants.find((g) => grantAllows(g, request, key.encryptionContext));
  if (grant && sessionPart) return { allowed: true, decidedBy: [{ source: "grant", grantId: grant.grantId }, ...sessionPart] };
  return noAllow(grant ? "session" : missing);
}
