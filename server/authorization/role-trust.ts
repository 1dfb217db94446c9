import { validationError } from "../errors/kms-error.js";
import type { RoleRecord } from "../identity/identity-records.js";
import type { IdentityStore } from "../identity/identity-store.js";
import { parseRoleArn, principalArn } from "../identity/principal-arn.js";
import type { CompiledPolicy, PolicyCache, PrincipalIds } from "../policy/index.js";

/** A role as the resource of a decision: its trust policy and its account, and the role itself when it exists. */
export interface RoleTrust {
  readonly trustPolicy: CompiledPolicy;
  readonly accountId: string;
  readonly principalIds?: PrincipalIds;
  readonly role?: RoleRecord;
}

/** Trusts no one: stands in for a role that does not exist. */
const TRUSTS_NO_ONE: CompiledPolicy = Object.freeze({ kind: "trust", version: "2012-10-17", statements: [] });

/**
 * The trust policy of the role a request names. Only the role's own ARN names it: another
 * spelling (a path, other letter case) would slip past a Deny on the role's ARN, so it is a role
 * that does not exist. A role that does not exist trusts no one, and is refused exactly as a role
 * whose trust policy names someone else: callers cannot probe which roles exist.
 */
export async function loadRoleTrust(identities: IdentityStore, policies: PolicyCache, roleArn: string, partition: string): Promise<RoleTrust> {
  const ref = parseRoleArn(roleArn);
  if (!ref || ref.partition !== partition) throw validationError(`role_arn must be a role ARN, arn:${partition}:iam::<account>:role/<name>`);
  const role = await identities.getRole(ref.accountId, ref.roleName);
  if (!role || principalArn.role(partition, role.accountId, role.roleName) !== roleArn) return { trustPolicy: TRUSTS_NO_ONE, accountId: ref.accountId };
  return { trustPolicy: policies.get(role.trustPolicy, "trust"), accountId: ref.accountId, role, ...(role.trustPolicyPrincipalIds ? { principalIds: role.trustPolicyPrincipalIds } : {}) };
}
