import { unwrapKeyMaterial, wrapKeyMaterial } from "../crypto/key-wrapping.js";
import type { SymmetricKeyVersion } from "../crypto/symmetric-encryption.js";
import type { AliasRecord, GrantRecord, KeyLastUsageRecord, KeyRecord, KeyVersionRecord } from "../domain/key-record.js";
import { prefixEnd, type KvOperation, type KvStore } from "./kv-store.js";
import { parseRecord } from "./parsed-records.js";
import { derivedFrom } from "./derived.js";
import { AgeBoundedMap } from "./age-bounded-map.js";
import { LockedBatches, type Commit } from "./locked-batches.js";

// Layout of a region's keyspace (key ids are unique in a region, whatever the account):
//   k/<keyId>                      KeyRecord
//   v/<keyId>/<version:10>         KeyVersionRecord (material wrapped under the root key)
//   ak/<account>/<keyId>           index of an account's keys
//   a/<account>/<aliasName>        AliasRecord
//   ka/<keyId>/<aliasName>         index of a key's aliases
//   g/<keyId>/<grantId>            GrantRecord
//   rg/<retiringPrincipal>/<keyId>/<grantId>   index of grants by retiring principal
//   s/<dueAt:13>/<keyId>/<job>     scheduled work (deletion, rotation, expiry), in due order
//   lu/<keyId>                     KeyLastUsageRecord: the key's last cryptographic use
const KEY = "k/";
const VERSION = "v/";
const ACCOUNT_KEY = "ak/";
const ALIAS = "a/";
const KEY_ALIAS = "ka/";
const GRANT = "g/";
const RETIRABLE = "rg/";
const SCHEDULE = "s/";
const LAST_USAGE = "lu/";

/** Work the scheduler does on a key at a time. */
export type ScheduledJob = "delete" | "rotate" | "expire";

/** One entry of the schedule. */
export interface ScheduledWork {
  readonly dueAt: number;
  readonly keyId: string;
  readonly job: ScheduledJob;
}

/** A key version opened for use: material in memory only, with its public material id. */
export interface OpenKeyVersion extends SymmetricKeyVersion {
  readonly keyMaterialId: string;
}

/** Unwrapped key versions kept in memory: at most this many, for at most this long (swept each minute). */
const MATERIAL_CACHE = { maxEntries: 1000, maxAgeMs: 5 * 60_000 } as const;

/**
 * One region's keyring: keys, their wrapped material versions and aliases. Reads are direct;
 * changes go through transaction(), which locks the named resources and writes everything it
 * staged in one atomic, durable batch, or nothing if the callback throws.
 */
export class Keyring {
  readonly #batches: LockedBatches;
  /** Unwrapped material by key and version, with the wrapped form it came from: a hit must match it, so a changed record never meets a stale entry. */
  readonly #materials = new AgeBoundedMap<{ material: Buffer; wrapped: string }>(MATERIAL_CACHE);
  /** Where last-usage records live, as the root store names them. */
  readonly #qualifiedLastUsagePrefix: string;

  constructor(
    private readonly kv: KvStore,
    private readonly region: string,
    private readonly rootKey: Uint8Array,
  ) {
    this.#batches = new LockedBatches(kv);
    this.#qualifiedLastUsagePrefix = kv.qualify([{ type: "del", key: LAST_USAGE }])[0]!.key;
  }

  async getKey(keyId: string): Promise<KeyRecord | undefined> {
    return parse<KeyRecord>(await this.kv.get(KEY + keyId));
  }

  async getAlias(accountId: string, aliasName: string): Promise<AliasRecord | undefined> {
    return parse<AliasRecord>(await this.kv.get(`${ALIAS}${accountId}/${aliasName}`));
  }

  /** Ids of an account's keys in id order, after the given id. */
  async listKeyIds(accountId: string, afterKeyId: string | undefined, count: number): Promise<string[]> {
    const prefix = `${ACCOUNT_KEY}${accountId}/`;
    const rows = await this.kv.range({ ...(afterKeyId === undefined ? { gte: prefix } : { gt: prefix + afterKeyId }), lt: prefixEnd(prefix), limit: count });
    return rows.map(([key]) => key.slice(prefix.length));
  }

  /** An account's aliases in name order, after the given name. */
  async listAliases(accountId: string, afterAliasName: string | undefined, count: number): Promise<AliasRecord[]> {
    const prefix = `${ALIAS}${accountId}/`;
    const rows = await this.kv.range({
      ...(afterAliasName === undefined ? { gte: prefix } : { gt: prefix + afterAliasName }),
      lt: prefixEnd(prefix),
      limit: count,
    });
    return rows.map(([, value]) => JSON.parse(value) as AliasRecord);
  }

  /** Names of a key's aliases in name order, after the given name. */
  async listAliasNamesOfKey(keyId: string, afterAliasName: string | undefined, count: number): Promise<string[]> {
    const prefix = `${KEY_ALIAS}${keyId}/`;
    const rows = await this.kv.range({
      ...(afterAliasName === undefined ? { gte: prefix } : { gt: prefix + afterAliasName }),
      lt: prefixEnd(prefix),
      limit: count,
    });
    return rows.map(([key]) => key.slice(prefix.length));
  }

  async getGrant(keyId: string, grantId: string): Promise<GrantRecord | undefined> {
    return parse<GrantRecord>(await this.kv.get(`${GRANT}${keyId}/${grantId}`));
  }

  /** A key's grants in grant-id order, after the given id. */
  async listGrants(keyId: string, afterGrantId?: string, count?: number): Promise<GrantRecord[]> {
    const prefix = `${GRANT}${keyId}/`;
    const rows = await this.kv.range({
      ...(afterGrantId === undefined ? { gte: prefix } : { gt: prefix + afterGrantId }),
      lt: prefixEnd(prefix),
      ...(count !== undefined ? { limit: count } : {}),
    });
    return derivedFrom(parsedGrants, rows, (all) => all.map(([, value]) => parseRecord<GrantRecord>(value)));
  }

  /** Grants a principal may retire, as "<keyId>/<grantId>" positions, after the given one. */
  async listRetirableGrants(retiringPrincipal: string, after: string | undefined, count: number): Promise<GrantRecord[]> {
    const prefix = `${RETIRABLE}${retiringPrincipal}/`;
    const rows = await this.kv.range({ ...(after === undefined ? { gte: prefix } : { gt: prefix + after }), lt: prefixEnd(prefix), limit: count });
    const grants = await Promise.all(rows.map(([key]) => this.getGrant(...(key.slice(prefix.length).split("/") as [string, string]))));
    return grants.filter((g): g is GrantRecord => g !== undefined);
  }

  /** A key's versions in order, for ListKeyRotations and destruction. */
  async listVersions(keyId: string): Promise<KeyVersionRecord[]> {
    const prefix = `${VERSION}${keyId}/`;
    return (await this.kv.range({ gte: prefix, lt: prefixEnd(prefix) })).map(([, value]) => parseRecord<KeyVersionRecord>(value));
  }

  /** Scheduled work due at or before `now`, oldest first. */
  async dueWork(now: number, limit: number): Promise<ScheduledWork[]> {
    const rows = await this.kv.range({ gte: SCHEDULE, lt: `${SCHEDULE}${scheduleTime(now + 1)}`, limit });
    return rows.map(([key]) => {
      const [dueAt, keyId, job] = key.slice(SCHEDULE.length).split("/") as [string, string, ScheduledJob];
      return { dueAt: Number(dueAt), keyId, job };
    });
  }

  async getLastUsage(keyId: string): Promise<KeyLastUsageRecord | undefined> {
    return parse<KeyLastUsageRecord>(await this.kv.get(LAST_USAGE + keyId));
  }

  /**
   * The root-qualified write that records a use of a key; it rides in the request's audit batch.
   * Its value is serialized when read: of a group's writes to one key only the last is stored.
   */
  lastUsageWrite(usage: KeyLastUsageRecord): KvOperation {
    return {
      type: "put",
      key: this.#qualifiedLastUsagePrefix + usage.keyId,
      get value() {
        return JSON.stringify(usage);
      },
    };
  }

  /** Drops a key's unwrapped material from memory (its versions were destroyed). */
  forgetMaterial(keyId: string): void {
    this.#materials.deleteWhere((cacheKey) => cacheKey.startsWith(`${keyId}/`));
  }

  /** Unwraps one version of a key's material, or undefined when the key has no such version. */
  async openKeyVersion(keyId: string, version: number): Promise<OpenKeyVersion | undefined> {
    const record = parse<KeyVersionRecord>(await this.kv.get(versionKey(keyId, version)));
    if (!record) return undefined;
    return { keyId, version, material: this.#unwrap(record), keyMaterialId: record.keyMaterialId };
  }

  #unwrap(record: KeyVersionRecord): Buffer {
    // The binding is part of the cache key, as it is part of the unwrapping: a wrapped version
    // copied into another key's record must not find this entry. The wrapped form must match
    // too (compared on a hit rather than built into the key, which cost a long string a call).
    const cacheKey = `${record.keyId}/${record.version}`;
    const cached = this.#materials.get(cacheKey);
    if (cached && cached.wrapped === record.wrappedMaterial) return cached.material;
    const material = unwrapKeyMaterial(this.rootKey, Buffer.from(record.wrappedMaterial, "base64"), { region: this.region, keyId: record.keyId, version: record.version });
    this.#materials.set(cacheKey, { material, wrapped: record.wrappedMaterial });
    return material;
  }

  /** Runs fn with the named resources locked and commits what it staged atomically (with the request's audit record, when given). */
  async transaction<T>(lockNames: readonly string[], commit: Commit | undefined, fn: (tx: KeyringTransaction) => Promise<T>): Promise<T> {
    return this.#batches.run(lockNames, (operations, elsewhere) => fn(new KeyringTransaction(this, operations, elsewhere)), commit);
  }

  /** Runs fn holding this keyring's named locks, for a transaction of another keyring that also writes here. */
  locked<T>(lockNames: readonly string[], fn: () => Promise<T>): Promise<T> {
    return this.#batches.locked(lockNames, fn);
  }

  /** The store of this keyring, for a transaction of another keyring that stages writes here. */
  get store(): KvStore {
    return this.kv;
  }

  /** Wraps material under the root key, bound to this region, key and version. */
  wrap(keyId: string, version: number, material: Uint8Array): string {
    return wrapKeyMaterial(this.rootKey, material, { region: this.region, keyId, version }).toString("base64");
  }
}

/** Staged writes of one keyring transaction. */
export class KeyringTransaction {
  constructor(
    readonly keyring: Keyring,
    private readonly operations: KvOperation[],
    private readonly elsewhere: (kv: KvStore) => KvOperation[] = () => {
      throw new Error("this transaction writes to its own keyring only");
    },
  ) {}

  /**
   * Writes to another region's keyring in this same atomic batch (multi-Region keys); the caller
   * holds that keyring's locks (Keyring.locked).
   */
  in(other: Keyring): KeyringTransaction {
    return new KeyringTransaction(other, this.elsewhere(other.store), this.elsewhere);
  }

  putKey(key: KeyRecord): void {
    this.operations.push({ type: "put", key: KEY + key.keyId, value: JSON.stringify(key) });
    this.operations.push({ type: "put", key: `${ACCOUNT_KEY}${key.accountId}/${key.keyId}`, value: "" });
  }

  /** Stores a new version of a key's material, wrapped; the plaintext material is not kept. */
  putKeyVersion(keyId: string, version: number, material: Uint8Array, keyMaterialId: string, createdAt: number, rotationType?: KeyVersionRecord["rotationType"]): void {
    const record: KeyVersionRecord = {
      keyId,
      version,
      keyMaterialId,
      wrappedMaterial: this.keyring.wrap(keyId, version, material),
      createdAt,
      ...(rotationType ? { rotationType } : {}),
    };
    this.operations.push({ type: "put", key: versionKey(keyId, version), value: JSON.stringify(record) });
  }

  putAlias(alias: AliasRecord, previousTargetKeyId?: string): void {
    if (previousTargetKeyId !== undefined) this.operations.push({ type: "del", key: `${KEY_ALIAS}${previousTargetKeyId}/${alias.aliasName}` });
    this.operations.push({ type: "put", key: `${ALIAS}${alias.accountId}/${alias.aliasName}`, value: JSON.stringify(alias) });
    this.operations.push({ type: "put", key: `${KEY_ALIAS}${alias.targetKeyId}/${alias.aliasName}`, value: "" });
  }

  putGrant(grant: GrantRecord): void {
    this.operations.push({ type: "put", key: `${GRANT}${grant.keyId}/${grant.grantId}`, value: JSON.stringify(grant) });
    if (grant.retiringPrincipal !== "") this.operations.push({ type: "put", key: `${RETIRABLE}${grant.retiringPrincipal}/${grant.keyId}/${grant.grantId}`, value: "" });
  }

  deleteGrant(grant: GrantRecord): void {
    this.operations.push({ type: "del", key: `${GRANT}${grant.keyId}/${grant.grantId}` });
    if (grant.retiringPrincipal !== "") this.operations.push({ type: "del", key: `${RETIRABLE}${grant.retiringPrincipal}/${grant.keyId}/${grant.grantId}` });
  }

  deleteKeyVersion(keyId: string, version: number): void {
    this.operations.push({ type: "del", key: versionKey(keyId, version) });
  }

  schedule(work: ScheduledWork): void {
    this.operations.push({ type: "put", key: scheduleKey(work), value: "" });
  }

  unschedule(work: ScheduledWork): void {
    this.operations.push({ type: "del", key: scheduleKey(work) });
  }

  /**
   * Destroys a key for good: its record, every version of its material, its aliases and grants.
   * Ciphertexts under it can never be decrypted again.
   */
  async destroyKey(key: KeyRecord): Promise<void> {
    const { keyring } = this;
    for (const version of await keyring.listVersions(key.keyId)) this.deleteKeyVersion(key.keyId, version.version);
    for (const aliasName of await keyring.listAliasNamesOfKey(key.keyId, undefined, 1000)) {
      this.deleteAlias({ accountId: key.accountId, aliasName, targetKeyId: key.keyId, creationDate: 0, lastUpdatedDate: 0 });
    }
    for (const grant of await keyring.listGrants(key.keyId)) this.deleteGrant(grant);
    this.operations.push({ type: "del", key: KEY + key.keyId });
    this.operations.push({ type: "del", key: `${ACCOUNT_KEY}${key.accountId}/${key.keyId}` });
    this.operations.push({ type: "del", key: LAST_USAGE + key.keyId });
  }

  deleteAlias(alias: AliasRecord): void {
    this.operations.push({ type: "del", key: `${ALIAS}${alias.accountId}/${alias.aliasName}` });
    this.operations.push({ type: "del", key: `${KEY_ALIAS}${alias.targetKeyId}/${alias.aliasName}` });
  }
}

const parsedGrants = new WeakMap<Array<[string, string]>, GrantRecord[]>();

function scheduleTime(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(13, "0");
}

function scheduleKey({ dueAt, keyId, job }: ScheduledWork): string {
  return `${SCHEDULE}${scheduleTime(dueAt)}/${keyId}/${job}`;
}

function versionKey(keyId: string, version: number): string {
  return `${VERSION}${keyId}/${String(version).padStart(10, "0")}`;
}

function parse<T>(value: string | undefined): T | undefined {
  return value === undefined ? undefined : parseRecord<T>(value);
}
