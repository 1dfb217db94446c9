import { auditCommit } from "../../audit/pending-audit.js";
import type { HandlerContext } from "@connectrpc/connect";
import { requireCaller, requireServices } from "../../context.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { PolicyOwner } from "../../identity/identity-store.js";
import { checkPolicyDocument } from "../policy-document.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { checkIamName, identityLock } from "./identity-names.js";

/** The user or role a policy request names, which must exist in the caller's account. */
async function owner(ctx: HandlerContext, kind: "user" | "role", name: string): Promise<PolicyOwner> {
  const { identities } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  const exists = kind === "user" ? await identities.getUser(accountId, name) : await identities.getRole(accountId, name);
  if (!exists) throw new KmsError("NotFoundException", `${kind} ${name} does not exist`);
  return { kind, accountId, name };
}

async function putPolicy(ctx: HandlerContext, kind: "user" | "role", name: string, policyName: string, document: string) {
  checkIamName("policy_name", policyName, 128);
  if (document === "") throw validationError("policy_document is required");
  checkPolicyDocument(document, "identity", requireServices(ctx).policies);
  const { identities } = requireServices(ctx);
  // The owner is checked under its lock: a policy must never outlive a concurrent delete of its user or role.
  await identities.transaction([identityLock(kind, requireCaller(ctx).accountId, name)], auditCommit(ctx), async (tx) => tx.putPolicy(await owner(ctx, kind, name), policyName, document));
}

async function getPolicy(ctx: HandlerContext, kind: "user" | "role", name: string, policyName: string) {
  const document = await requireServices(ctx).identities.getPolicy(await owner(ctx, kind, name), policyName);
  if (document === undefined) throw new KmsError("NotFoundException", `${kind} ${name} has no policy ${policyName}`);
  return document;
}

async function listPolicies(ctx: HandlerContext, kind: "user" | "role", name: string) {
  return (await requireServices(ctx).identities.listPolicies(await owner(ctx, kind, name))).map((p) => p.name);
}

async function deletePolicy(ctx: HandlerContext, kind: "user" | "role", name: string, policyName: string) {
  const { identities } = requireServices(ctx);
  await identities.transaction([identityLock(kind, requireCaller(ctx).accountId, name)], auditCommit(ctx), async (tx) => {
    const target = await owner(ctx, kind, name);
    if ((await identities.getPolicy(target, policyName)) === undefined) throw new KmsError("NotFoundException", `${kind} ${name} has no policy ${policyName}`);
    tx.deletePolicy(target, policyName);
  });
}

/** Identity policies of users and roles: the same grammar as key policies, without Principal. */
export const identityPolicyHandlers: Pick<
  IdentityHandlers,
  "putUserPolicy" | "getUserPolicy" | "listUserPolicies" | "deleteUserPolicy" | "putRolePolicy" | "getRolePolicy" | "listRolePolicies" | "deleteRolePolicy"
> = {
  putUserPolicy: async (req, ctx) => (await putPolicy(ctx, "user", req.userName, req.policyName, req.policyDocument), {}),
  getUserPolicy: async (req, ctx) => ({ userName: req.userName, policyName: req.policyName, policyDocument: await getPolicy(ctx, "user", req.userName, req.policyName) }),
  listUserPolicies: async (req, ctx) => ({ policyNames: await listPolicies(ctx, "user", req.userName) }),
  deleteUserPolicy: async (req, ctx) => (await deletePolicy(ctx, "user", req.userName, req.policyName), {}),
  putRolePolicy: async (req, ctx) => (await putPolicy(ctx, "role", req.roleName, req.policyName, req.policyDocument), {}),
  getRolePolicy: async (req, ctx) => ({ roleName: req.roleName, policyName: req.policyName, policyDocument: await getPolicy(ctx, "role", req.roleName, req.policyName) }),
  listRolePolicies: async (req, ctx) => ({ policyNames: await listPolicies(ctx, "role", req.roleName) }),
  deleteRolePolicy: async (req, ctx) => (await deletePolicy(ctx, "role", req.roleName, req.policyName), {}),
};
