import { unwrapKeyMaterial, wrapKeyMaterial } from "../crypto/key-wrapping.js";
import { prefixEnd, type KvOperation, type KvStore } from "../store/kv-store.js";
import { LockedBatches, type Commit } from "../store/locked-batches.js";
import { parseRecord } from "../store/parsed-records.js";
import { derivedFrom } from "../store/derived.js";
import type { AccessKeyRecord, AccountRecord, RoleRecord, SessionRecord, UserRecord } from "./identity-records.js";

// Layout of the global identity keyspace:
//   acct/<account>                          AccountRecord
//   user/<account>/<userName>               UserRecord
//   role/<account>/<roleName>               RoleRecord
//   key/<accessKeyId>                       AccessKeyRecord
//   ukey/<account>/<userName>/<accessKeyId> index of a user's access keys
//   pol/<user|role>/<account>/<name>/<policyName>   identity policy document
//   sess/<sessionId>                        SessionRecord
//   sexp/<expiresAt:15>/<sessionId>         index of sessions by expiry, for sweeping them
// User and role names are unique regardless of case, as in IAM: their keys use the lowercased name.

/** Whose identity policies: a user's or a role's. */
export type PolicyOwner = { readonly kind: "user" | "role"; readonly accountId: string; readonly name: string };

const namedDocuments = new WeakMap<Array<[string, string]>, Array<{ name: string; document: string }>>();

/** Identities are global, not regional: accounts, users, roles, access keys, policies and sessions. */
export class IdentityStore {
  readonly #batches: LockedBatches;

  constructor(
    private readonly kv: KvStore,
    private readonly rootKey: Uint8Array,
  ) {
    this.#batches = new LockedBatches(kv);
  }

  getAccount(accountId: string) {
    return this.#get<AccountRecord>(`acct/${accountId}`);
  }
  async hasAnyAccount(): Promise<boolean> {
    return (await this.kv.range({ gte: "acct/", lt: prefixEnd("acct/"), limit: 1 })).length > 0;
  }
  getUser(accountId: string, userName: string) {
    return this.#get<UserRecord>(`user/${accountId}/${fold(userName)}`);
  }
  listUsers(accountId: string, after: string | undefined, count: number) {
    return this.#list<UserRecord>(`user/${accountId}/`, after, count);
  }
  getRole(accountId: string, roleName: string) {
    return this.#get<RoleRecord>(`role/${accountId}/${fold(roleName)}`);
  }
  listRoles(accountId: string, after: string | undefined, count: number) {
    return this.#list<RoleRecord>(`role/${accountId}/`, after, count);
  }
  getAccessKey(accessKeyId: string) {
    return this.#get<AccessKeyRecord>(`key/${accessKeyId}`);
  }
  async listAccessKeys(accountId: string, userName: string): Promise<AccessKeyRecord[]> {
    const ids = await this.#keys(`ukey/${accountId}/${fold(userName)}/`);
    return (await Promise.all(ids.map((id) => this.getAccessKey(id)))).filter((k): k is AccessKeyRecord => k !== undefined);
  }
  /**
   * Deletes up to `count` sessions that expired before `now` (and their index entries), so the
   * store does not grow with every Login and AssumeRole; returns how many it deleted.
   */
  async deleteExpiredSessions(now: number, count: number): Promise<number> {
    const rows = await this.kv.range({ gte: SESSION_EXPIRY, lt: expiryKey(now, ""), limit: count });
    if (rows.length === 0) return 0;
    await this.transaction([], undefined, async (tx) => {
      for (const [key] of rows) tx.deleteExpiredSession(key, key.slice(key.lastIndexOf("/") + 1));
    });
    return rows.length;
  }
  getSession(sessionId: string) {
    return this.#get<SessionRecord>(`sess/${sessionId}`);
  }

  /** The identity policies of a user or role, by name. */
  async listPolicies(owner: PolicyOwner): Promise<Array<{ name: string; document: string }>> {
    const prefix = policyPrefix(owner);
    const rows = await this.kv.range({ gte: prefix, lt: prefixEnd(prefix) });
    return derivedFrom(namedDocuments, rows, (all) => all.map(([key, document]) => ({ name: key.slice(prefix.length), document })));
  }
  getPolicy(owner: PolicyOwner, policyName: string): Promise<string | undefined> {
    return this.kv.get(policyPrefix(owner) + policyName);
  }

  /** The secret of an access key, unwrapped from the root key. */
  openSecret(key: AccessKeyRecord): string {
    return unwrapKeyMaterial(this.rootKey, Buffer.from(key.wrappedSecret, "base64"), secretBinding(key.accessKeyId)).toString("utf8");
  }
  /** The temporary secret access key of a session, unwrapped from the root key. */
  openSigningSecret(temporaryAccessKeyId: string, wrapped: string): string {
    return unwrapKeyMaterial(this.rootKey, Buffer.from(wrapped, "base64"), secretBinding(temporaryAccessKeyId)).toString("utf8");
  }
  /** The stored form of a new access key's secret. */
  wrapSecret(accessKeyId: string, secret: string): string {
    return wrapKeyMaterial(this.rootKey, Buffer.from(secret, "utf8"), secretBinding(accessKeyId)).toString("base64");
  }

  /** Changes identities under the named locks; staged writes commit atomically. */
  transaction<T>(lockNames: readonly string[], commit: Commit | undefined, fn: (tx: IdentityTransaction) => Promise<T>): Promise<T> {
    return this.#batches.run(lockNames, (operations) => fn(new IdentityTransaction(this, operations)), commit);
  }

  async #get<T>(key: string): Promise<T | undefined> {
    const value = await this.kv.get(key);
    return value === undefined ? undefined : parseRecord<T>(value);
  }
  async #list<T>(prefix: string, after: string | undefined, count: number): Promise<T[]> {
    const rows = await this.kv.range({ ...(after === undefined ? { gte: prefix } : { gt: prefix + after }), lt: prefixEnd(prefix), limit: count });
    return rows.map(([, value]) => JSON.parse(value) as T);
  }
  async #keys(prefix: string): Promise<string[]> {
    return (await this.kv.range({ gte: prefix, lt: prefixEnd(prefix) })).map(([key]) => key.slice(prefix.length));
  }
}

/** Staged writes of one identity change. */
export class IdentityTransaction {
  constructor(
    readonly store: IdentityStore,
    private readonly operations: KvOperation[],
  ) {}

  putAccount(account: AccountRecord): void {
    this.#put(`acct/${account.accountId}`, account);
  }
  putUser(user: UserRecord): void {
    this.#put(`user/${user.accountId}/${fold(user.userName)}`, user);
  }
  /** Deletes a user with its access keys and policies; its sessions fail from then on. */
  async deleteUser(user: UserRecord): Promise<void> {
    this.operations.push({ type: "del", key: `user/${user.accountId}/${fold(user.userName)}` });
    for (const key of await this.store.listAccessKeys(user.accountId, user.userName)) this.deleteAccessKey(key);
    for (const { name } of await this.store.listPolicies({ kind: "user", accountId: user.accountId, name: user.userName })) {
      this.deletePolicy({ kind: "user", accountId: user.accountId, name: user.userName }, name);
    }
  }
  putRole(role: RoleRecord): void {
    this.#put(`role/${role.accountId}/${fold(role.roleName)}`, role);
  }
  async deleteRole(role: RoleRecord): Promise<void> {
    this.operations.push({ type: "del", key: `role/${role.accountId}/${fold(role.roleName)}` });
    for (const { name } of await this.store.listPolicies({ kind: "role", accountId: role.accountId, name: role.roleName })) {
      this.deletePolicy({ kind: "role", accountId: role.accountId, name: role.roleName }, name);
    }
  }
  putAccessKey(key: AccessKeyRecord): void {
    this.#put(`key/${key.accessKeyId}`, key);
    this.operations.push({ type: "put", key: `ukey/${key.accountId}/${fold(key.userName)}/${key.accessKeyId}`, value: "" });
  }
  deleteAccessKey(key: AccessKeyRecord): void {
    this.operations.push({ type: "del", key: `key/${key.accessKeyId}` });
    this.operations.push({ type: "del", key: `ukey/${key.accountId}/${fold(key.userName)}/${key.accessKeyId}` });
  }
  putPolicy(owner: PolicyOwner, policyName: string, document: string): void {
    this.operations.push({ type: "put", key: policyPrefix(owner) + policyName, value: document });
  }
  deletePolicy(owner: PolicyOwner, policyName: string): void {
    this.operations.push({ type: "del", key: policyPrefix(owner) + policyName });
  }
  putSession(session: SessionRecord): void {
    this.#put(`sess/${session.sessionId}`, session);
    this.operations.push({ type: "put", key: expiryKey(session.expiresAt, session.sessionId), value: "" });
  }
  /** A swept session: its record and its entry in the expiry index. */
  deleteExpiredSession(indexKey: string, sessionId: string): void {
    this.operations.push({ type: "del", key: `sess/${sessionId}` }, { type: "del", key: indexKey });
  }
  deleteSession(sessionId: string): void {
    this.operations.push({ type: "del", key: `sess/${sessionId}` });
  }

  #put(key: string, value: unknown): void {
    this.operations.push({ type: "put", key, value: JSON.stringify(value) });
  }
}

const SESSION_EXPIRY = "sexp/";

/** A session's entry in the expiry index; zero-padded, so key order is time order. A session deleted by Logout leaves its entry, which the sweep removes. */
function expiryKey(expiresAt: number, sessionId: string): string {
  return `${SESSION_EXPIRY}${String(expiresAt).padStart(15, "0")}/${sessionId}`;
}

function policyPrefix({ kind, accountId, name }: PolicyOwner): string {
  return `pol/${kind}/${accountId}/${fold(name)}/`;
}

/** IAM user and role names are case-insensitive for uniqueness. */
function fold(name: string): string {
  return name.toLowerCase();
}

function secretBinding(accessKeyId: string) {
  return { region: "iam", keyId: `access-key:${accessKeyId}`, version: 1 };
}
