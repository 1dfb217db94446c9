import { KmsError } from "../errors/kms-error.js";
import type { IdentityStore } from "../identity/identity-store.js";
import { parseUserOrRoleArn, principalArn } from "../identity/principal-arn.js";
import { INVALID_PRINCIPALS, type CompiledPolicy, type PrincipalIds } from "../policy/index.js";

/**
 * The unique ids of the users and roles a key or trust policy names, recorded when it is saved, as
 * IAM does: the policy then names those very identities, not later ones of the same name. A user
 * or role that does not exist, or is named by another spelling of its ARN (another letter case, a
 * path, another partition), is refused as AWS refuses it: MalformedPolicyDocumentException,
 * "invalid principals".
 */
export async function principalIdsOf(policy: CompiledPolicy, identities: IdentityStore, serverPartition: string): Promise<PrincipalIds> {
  const ids: Record<string, string> = {};
  for (const statement of policy.statements) {
    for (const entry of statement.principal?.entries ?? []) {
      if (entry.kind !== "arn" || entry.arnType === "assumed-role" || Object.hasOwn(ids, entry.arn)) continue;
      const ref = parseUserOrRoleArn(entry.arn);
      // Names are found whatever their case, so the ARN is checked against the stored name: a
      // Deny naming "user/BOB" would otherwise be saved and never apply to bob.
      const user = ref?.kind === "user" ? await identities.getUser(ref.accountId, ref.name) : undefined;
      const role = ref?.kind === "role" ? await identities.getRole(ref.accountId, ref.name) : undefined;
      const canonical = user ? principalArn.user(serverPartition, user.accountId, user.userName) : role ? principalArn.role(serverPartition, role.accountId, role.roleName) : undefined;
      if (canonical !== entry.arn) throw new KmsError("MalformedPolicyDocumentException", INVALID_PRINCIPALS);
      ids[entry.arn] = user?.userId ?? role!.roleId;
    }
  }
  return ids;
}
