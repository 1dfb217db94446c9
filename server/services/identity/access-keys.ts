import { auditCommit } from "../../audit/pending-audit.js";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccessKeyStatus } from "../../../gen/kms/v1/identity_pb.js";
import { now, requireCaller, requireServices } from "../../context.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { newAccessKey } from "../../identity/account-admin.js";
import type { AccessKeyRecord } from "../../identity/identity-records.js";
import type { IdentityStore, IdentityTransaction } from "../../identity/identity-store.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { identityLock } from "./identity-names.js";

const MAX_KEYS_PER_USER = 2;

const statusOf = (key: AccessKeyRecord) => (key.status === "Active" ? AccessKeyStatus.ACTIVE : AccessKeyStatus.INACTIVE);

async function requireUser(identities: IdentityStore, accountId: string, userName: string) {
  const user = await identities.getUser(accountId, userName);
  if (!user) throw new KmsError("NotFoundException", `user ${userName} does not exist`);
  return user;
}

/** CreateAccessKey: at most two per user; the secret is in this response and nowhere else. */
export const createAccessKey: IdentityHandlers["createAccessKey"] = async (req, ctx) => {
  const { identities } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  const created = now(ctx);
  const key = await identities.transaction([identityLock("user", accountId, req.userName)], auditCommit(ctx), async (tx) => {
    const user = await requireUser(identities, accountId, req.userName);
    if ((await identities.listAccessKeys(accountId, user.userName)).length >= MAX_KEYS_PER_USER) {
      throw new KmsError("LimitExceededException", `a user has at most ${MAX_KEYS_PER_USER} access keys`);
    }
    const key = newAccessKey(identities, user, created);
    tx.putAccessKey(key.record);
    return key;
  });
  return {
    accessKey: {
      userName: key.record.userName,
      accessKeyId: key.record.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      status: AccessKeyStatus.ACTIVE,
      createDate: timestampFromMs(created),
    },
  };
};

/** ListAccessKeys: a user's keys, without secrets. */
export const listAccessKeys: IdentityHandlers["listAccessKeys"] = async (req, ctx) => {
  const { identities } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  await requireUser(identities, accountId, req.userName);
  const keys = await identities.listAccessKeys(accountId, req.userName);
  return { accessKeyMetadata: keys.map((k) => ({ userName: k.userName, accessKeyId: k.accessKeyId, status: statusOf(k), createDate: timestampFromMs(k.createdAt) })) };
};

/** Finds one of a user's access keys, under the user's lock, and stages a change to it. */
async function changeAccessKey(ctx: Parameters<IdentityHandlers["deleteAccessKey"]>[1], userName: string, accessKeyId: string, change: (tx: IdentityTransaction, key: AccessKeyRecord) => void) {
  const { identities } = requireServices(ctx);
  const { accountId } = requireCaller(ctx);
  await identities.transaction([identityLock("user", accountId, userName)], auditCommit(ctx), async (tx) => {
    const key = await identities.getAccessKey(accessKeyId);
    if (!key || key.accountId !== accountId || key.userName.toLowerCase() !== userName.toLowerCase()) throw new KmsError("NotFoundException", `user ${userName} has no access key ${accessKeyId}`);
    change(tx, key);
  });
}

/** UpdateAccessKey: an inactive key cannot log in, and the sessions made with it stop working. */
export const updateAccessKey: IdentityHandlers["updateAccessKey"] = async (req, ctx) => {
  if (req.status === AccessKeyStatus.UNSPECIFIED || AccessKeyStatus[req.status] === undefined) throw validationError("status must be ACTIVE or INACTIVE");
  await changeAccessKey(ctx, req.userName, req.accessKeyId, (tx, key) =>
    tx.putAccessKey(
      // Deactivating ends the key's sessions for good: activating it again makes no old session
      // work. The time is taken under the user's lock, which Login holds while it makes a session.
      req.status === AccessKeyStatus.ACTIVE ? { ...key, status: "Active" } : { ...key, status: "Inactive", sessionsNotBefore: now(ctx) },
    ),
  );
  return {};
};

/** DeleteAccessKey: the key and its sessions stop working. */
export const deleteAccessKey: IdentityHandlers["deleteAccessKey"] = async (req, ctx) => {
  await changeAccessKey(ctx, req.userName, req.accessKeyId, (tx, key) => tx.deleteAccessKey(key));
  return {};
};
