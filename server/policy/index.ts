/**
 * The access-policy engine: parses IAM-style policy documents and decides requests against key
 * policies, identity policies, session policies and grants, as AWS KMS does. Pure: no I/O, and it
 * knows nothing of stores, transports or cryptography. Other layers import from here only.
 */
export { authorize, type AuthorizationDenial, type AuthorizationInput, type AuthorizationResult, type DecidedBy, type PolicyType } from "./authorize.js";
export type { CompiledCondition, CompiledPolicy, CompiledStatement, PatternBlock, PrincipalBlock, PrincipalEntry } from "./compiled-policy.js";
export { describeDenial, describeRefusal } from "./describe-denial.js";
export { evaluatePolicy } from "./evaluate-policy.js";
export { atLeastAsStrict, grantAllows, type GrantRule } from "./grant-rule.js";
export { INVALID_PRINCIPALS } from "./parse-principal.js";
export { parsePolicy } from "./parse-policy.js";
export { PolicyCache } from "./policy-cache.js";
export { maxPolicyBytes } from "./policy-limits.js";
export type { AccessRequest, ConditionContext, PolicyDecision, PolicyKind, Principal, PrincipalIds, PrincipalMatch, StatementRef } from "./policy-types.js";
export { wouldLockOut } from "./would-lock-out.js";
