import { auditCommit } from "../../audit/pending-audit.js";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { now, requireCaller, requireServices } from "../../context.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { checkTags } from "../../domain/tags.js";
import { checkIntRange, listLimit } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { RoleRecord } from "../../identity/identity-records.js";
import { principalArn } from "../../identity/principal-arn.js";
import { newAwsStyleId } from "../../identity/secrets.js";
import { checkPolicyDocument, principalIdsFor } from "../policy-document.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { checkIamName, identityLock } from "./identity-names.js";
import { SESSION_SECONDS } from "./session-lifetime.js";

function toRole(partition: string, role: RoleRecord) {
  return {
    roleName: role.roleName,
    roleId: role.roleId,
    arn: principalArn.role(partition, role.accountId, role.roleName),
    createDate: timestampFromMs(role.createdAt),
    assumeRolePolicyDocument: role.trustPolicy,
    maxSessionDuration: role.maxSessionDuration,
    tags: role.tags.map((t) => ({ tagKey: t.key, tagValue: t.value })),
  };
}

/** CreateRole: a role whose trust policy says who may assume it. */
export const createRole: IdentityHandlers["createRole"] = async (req, ctx) => {
  const { identities, partition } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  checkIamName("role_name", req.roleName, 64);
  if (req.assumeRolePolicyDocument === "") throw validationError("assume_role_policy_document is required");
  const trustPolicy = checkPolicyDocument(req.assumeRolePolicyDocument, "trust", requireServices(ctx).policies);
  const principalIds = await principalIdsFor(trustPolicy, "trust", requireServices(ctx));
  const maxSessionDuration = req.maxSessionDuration ?? SESSION_SECONDS.default;
  checkIntRange("max_session_duration", maxSessionDuration, { min: SESSION_SECONDS.default, max: SESSION_SECONDS.max });
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  checkTags(tags);
  const role: RoleRecord = { accountId, roleName: req.roleName, roleId: newAwsStyleId("AROA"), createdAt: now(ctx), trustPolicy, ...(principalIds ? { trustPolicyPrincipalIds: principalIds } : {}), maxSessionDuration, tags };
  await identities.transaction([identityLock("role", accountId, req.roleName)], auditCommit(ctx), async (tx) => {
    if (await identities.getRole(accountId, req.roleName)) throw new KmsError("AlreadyExistsException", `role ${req.roleName} already exists`);
    tx.putRole(role);
  });
  return { role: toRole(partition, role) };
};

/** ListRoles: the roles of the caller's account in name order. */
export const listRoles: IdentityHandlers["listRoles"] = async (req, ctx) => {
  const { identities, partition } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  const limit = listLimit(req.limit);
  const roles = await identities.listRoles(accountId, decodeMarker("roles", req.marker), limit + 1);
  const page = toPage("roles", roles, limit, (r) => r.roleName);
  return { roles: page.items.map((r) => toRole(partition, r)), nextMarker: page.nextMarker, truncated: page.truncated };
};

/** DeleteRole: the role and its policies go; its sessions stop working at once. */
export const deleteRole: IdentityHandlers["deleteRole"] = async (req, ctx) => {
  const { identities } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  await identities.transaction([identityLock("role", accountId, req.roleName)], auditCommit(ctx), async (tx) => {
    const role = await identities.getRole(accountId, req.roleName);
    if (!role) throw new KmsError("NotFoundException", `role ${req.roleName} does not exist`);
    await tx.deleteRole(role);
  });
  return {};
};
