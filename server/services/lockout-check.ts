import type { HandlerContext } from "@connectrpc/connect";
import { loadCallerPolicies } from "../authorization/caller-policies.js";
import { callerPoliciesKey, requireCaller, requireServices } from "../context.js";
import { KmsError } from "../errors/kms-error.js";
import { wouldLockOut } from "../policy/index.js";

/**
 * Refuses a key policy under which the caller could no longer change the policy (the key would
 * become unmanageable), unless the request sets bypass_policy_lockout_safety_check.
 */
export async function checkPolicyLockout(ctx: HandlerContext, policy: string, keyArn: string, keyAccountId: string, bypass: boolean): Promise<void> {
  if (bypass) return;
  const services = requireServices(ctx);
  const caller = requireCaller(ctx);
  const policies = ctx.values.get(callerPoliciesKey) ?? (await loadCallerPolicies(services.identities, services.policies, caller));
  const compiled = services.policies.get(policy, "key");
  if (wouldLockOut(compiled, caller, policies.identityPolicies, keyArn, keyAccountId, policies.sessionPolicy ? { sessionPolicy: policies.sessionPolicy } : {})) {
    throw new KmsError(
      "MalformedPolicyDocumentException",
      "The new key policy will not allow you to update the key policy in the future (set bypass_policy_lockout_safety_check to override).",
    );
  }
}
