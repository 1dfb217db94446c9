import type { Commit } from "../store/locked-batches.js";
import type { AccessKeyRecord, UserRecord } from "./identity-records.js";
import type { IdentityStore } from "./identity-store.js";
import { newAwsStyleId, newSecretAccessKey } from "./secrets.js";

/** The identity policy of an account's administrator: everything, like AWS's AdministratorAccess. */
export const ADMINISTRATOR_ACCESS = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "AdministratorAccess", Effect: "Allow", Action: "*", Resource: "*" }] });

/** A new access key with its secret in the clear (returned once, then only stored wrapped). */
export interface NewAccessKey {
  readonly record: AccessKeyRecord;
  readonly secretAccessKey: string;
}

/** Makes an access key record for a user; the caller stages it in a transaction. */
export function newAccessKey(store: IdentityStore, user: Pick<UserRecord, "accountId" | "userName" | "userId">, now: number): NewAccessKey {
  const accessKeyId = newAwsStyleId("AKIA");
  const secretAccessKey = newSecretAccessKey();
  return {
    record: { accessKeyId, accountId: user.accountId, userName: user.userName, userId: user.userId, wrappedSecret: store.wrapSecret(accessKeyId, secretAccessKey), status: "Active", createdAt: now },
    secretAccessKey,
  };
}

/**
 * Creates an account with an administrator user ("admin", AdministratorAccess) and one access
 * key for it, atomically. Fails with undefined when the account exists already.
 */
export async function createAccountWithAdmin(store: IdentityStore, accountId: string, now: number, commit?: Commit): Promise<{ admin: UserRecord; key: NewAccessKey } | undefined> {
  return store.transaction([`account:${accountId}`], commit, async (tx) => {
      if (await store.getAccount(accountId)) return undefined;
      const admin: UserRecord = { accountId, userName: "admin", userId: newAwsStyleId("AIDA"), createdAt: now, tags: [] };
      const key = newAccessKey(store, admin, now);
      tx.putAccount({ accountId, createdAt: now });
      tx.putUser(admin);
      tx.putPolicy({ kind: "user", accountId, name: admin.userName }, "AdministratorAccess", ADMINISTRATOR_ACCESS);
      tx.putAccessKey(key.record);
      return { admin, key };
  });
}
