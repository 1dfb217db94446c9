import { validationError } from "../errors/kms-error.js";
import type { IdentityStore } from "../identity/identity-store.js";
import { parseRoleArn } from "../identity/principal-arn.js";
import type { CompiledPolicy, PolicyCache } from "../policy/index.js";

/** A role as the resource of a decision: its trust policy and its account. */
export interface RoleTrust {
  readonly trustPolicy: CompiledPolicy;
  readonly accountId: string;
}

/** Trusts no one: stands in for a role that does not exist. */
const TRUSTS_NO_ONE: CompiledPolicy = Object.freeze({ kind: "trust", version: "2012-10-17", statements: [] });

/**
 * The trust policy of the role a request names. A role that does not exist trusts no one, so it
 * is refused exactly as a role whose trust policy names someone else: callers cannot probe which
 * roles exist, in their account or another.
 */
export async function loadRoleTrust(identities: IdentityStore, policies: PolicyCache, roleArn: string): Promise<RoleTrust> {
  const ref = parseRoleArn(roleArn);
  if (!ref) throw validationError("role_arn must be a role ARN, arn:aws:iam::<account>:role/<name>");
  const role = await identities.getRole(ref.accountId, ref.roleName);
  return { trustPolicy: role ? policies.get(role.trustPolicy, "trust") : TRUSTS_NO_ONE, accountId: ref.accountId };
}
