import { auditCommit } from "../../audit/pending-audit.js";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { now, requireCaller, requireServices } from "../../context.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { checkTags } from "../../domain/tags.js";
import { listLimit } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { UserRecord } from "../../identity/identity-records.js";
import { principalArn } from "../../identity/principal-arn.js";
import { newAwsStyleId } from "../../identity/secrets.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { checkIamName, identityLock } from "./identity-names.js";

function toUser(partition: string, user: UserRecord) {
  return {
    userName: user.userName,
    userId: user.userId,
    arn: principalArn.user(partition, user.accountId, user.userName),
    createDate: timestampFromMs(user.createdAt),
    tags: user.tags.map((t) => ({ tagKey: t.key, tagValue: t.value })),
  };
}

/** CreateUser: a user in the caller's account, with principal tags. */
export const createUser: IdentityHandlers["createUser"] = async (req, ctx) => {
  const { identities, partition } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  checkIamName("user_name", req.userName, 64);
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  checkTags(tags);
  const user: UserRecord = { accountId, userName: req.userName, userId: newAwsStyleId("AIDA"), createdAt: now(ctx), tags };
  await identities.transaction([identityLock("user", accountId, req.userName)], auditCommit(ctx), async (tx) => {
    if (await identities.getUser(accountId, req.userName)) throw new KmsError("AlreadyExistsException", `user ${req.userName} already exists`);
    tx.putUser(user);
  });
  return { user: toUser(partition, user) };
};

/** ListUsers: the users of the caller's account in name order. */
export const listUsers: IdentityHandlers["listUsers"] = async (req, ctx) => {
  const { identities, partition } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  const limit = listLimit(req.limit);
  const users = await identities.listUsers(accountId, decodeMarker("users", req.marker), limit + 1);
  const page = toPage("users", users, limit, (u) => u.userName);
  return { users: page.items.map((u) => toUser(partition, u)), nextMarker: page.nextMarker, truncated: page.truncated };
};

/** DeleteUser: the user, its access keys and policies go; its sessions stop working at once. */
export const deleteUser: IdentityHandlers["deleteUser"] = async (req, ctx) => {
  const { identities } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  await identities.transaction([identityLock("user", accountId, req.userName)], auditCommit(ctx), async (tx) => {
    const user = await identities.getUser(accountId, req.userName);
    if (!user) throw new KmsError("NotFoundException", `user ${req.userName} does not exist`);
    await tx.deleteUser(user);
  });
  return {};
};
