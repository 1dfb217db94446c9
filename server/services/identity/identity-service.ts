import { createAccessKey, deleteAccessKey, listAccessKeys, updateAccessKey } from "./access-keys.js";
import { assumeRole } from "./assume-role.js";
import { createAccount } from "./create-account.js";
import { getCallerIdentity } from "./get-caller-identity.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { identityPolicyHandlers } from "./identity-policies.js";
import { login } from "./login.js";
import { logout } from "./logout.js";
import { createRole, deleteRole, listRoles } from "./roles.js";
import { createUser, deleteUser, listUsers } from "./users.js";

/** The IdentityService handlers. */
export const identityService: Partial<IdentityHandlers> = {
  login,
  logout,
  assumeRole,
  getCallerIdentity,
  createAccount,
  createUser,
  listUsers,
  deleteUser,
  createRole,
  listRoles,
  deleteRole,
  createAccessKey,
  listAccessKeys,
  updateAccessKey,
  deleteAccessKey,
  ...identityPolicyHandlers,
};
