import { authorize } from "./authorize.js";
import type { CompiledPolicy } from "./compiled-policy.js";
import type { ConditionContext, Principal } from "./policy-types.js";

/**
 * The policy lockout safety check of PutKeyPolicy and CreateKey: true when, under the new key
 * policy (and no grants), the caller could no longer call kms:PutKeyPolicy on the key, i.e. could
 * never repair the policy. The caller of this function raises MalformedPolicyDocumentException
 * unless BypassPolicyLockoutSafetyCheck is set. `options.context` is the condition context to
 * assume (default: empty, so a condition on a missing key is judged as IAM judges it);
 * `options.sessionPolicy` narrows a role session as authorize() does.
 */
export function wouldLockOut(
  newKeyPolicy: CompiledPolicy,
  caller: Principal,
  identityPolicies: ReadonlyArray<{ readonly name: string; readonly policy: CompiledPolicy }>,
  keyArn: string,
  keyAccountId: string,
  options: { readonly context?: ConditionContext; readonly sessionPolicy?: CompiledPolicy } = {},
): boolean {
  const result = authorize({
    request: { principal: caller, action: "kms:PutKeyPolicy", resource: keyArn, context: options.context ?? new Map() },
    key: { policy: newKeyPolicy, accountId: keyAccountId, grants: [] },
    identityPolicies,
    ...(options.sessionPolicy ? { sessionPolicy: options.sessionPolicy } : {}),
  });
  return !result.allowed;
}
