import { keyScope, requireServices } from "../../context.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { checkPolicyLockout } from "../lockout-check.js";
import { checkPolicyDocument, principalIdsFor } from "../policy-document.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";
import { updateKey } from "../update-key.js";

/** A key has exactly one policy, named "default". */
const POLICY_NAME = "default";

function checkPolicyName(name: string): void {
  if (name !== "" && name !== POLICY_NAME) throw new KmsError("NotFoundException", `a key has one policy, named "${POLICY_NAME}"`);
}

/** GetKeyPolicy: the key's policy document. */
export const getKeyPolicy: KmsHandlers["getKeyPolicy"] = async (req, ctx) => {
  checkPolicyName(req.policyName);
  const { key } = await resolveKeyByIdOrArn(keyScope(ctx), req.keyId);
  return { policy: key.policy, policyName: POLICY_NAME };
};

/** ListKeyPolicies: always ["default"]. */
export const listKeyPolicies: KmsHandlers["listKeyPolicies"] = async (req, ctx) => {
  await resolveKeyByIdOrArn(keyScope(ctx), req.keyId);
  return { policyNames: [POLICY_NAME], nextMarker: "", truncated: false };
};

/**
 * PutKeyPolicy: replaces the policy (32 KB, the policy grammar), refusing one that would lock
 * the caller out unless bypass_policy_lockout_safety_check is set.
 */
export const putKeyPolicy: KmsHandlers["putKeyPolicy"] = async (req, ctx) => {
  checkPolicyName(req.policyName);
  if (req.policy === "") throw validationError("policy is required");
  const services = requireServices(ctx);
  checkPolicyDocument(req.policy, "key", services.policies);
  const principalIds = await principalIdsFor(req.policy, "key", services);
  const scope = keyScope(ctx);
  const { key, arn } = await resolveKeyByIdOrArn(scope, req.keyId);
  await checkPolicyLockout(ctx, req.policy, arn, key.accountId, req.bypassPolicyLockoutSafetyCheck);
  await updateKey(scope, req.keyId, ({ policyPrincipalIds: _before, ...current }) => ({ ...current, policy: req.policy, ...(principalIds ? { policyPrincipalIds: principalIds } : {}) }));
  return {};
};
