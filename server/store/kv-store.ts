/** One write of an atomic batch. */
export type KvOperation = { readonly type: "put"; readonly key: string; readonly value: string } | { readonly type: "del"; readonly key: string };

/** A range of keys in lexicographic order; bounds are optional. */
export interface KvRange {
  readonly gt?: string;
  readonly gte?: string;
  readonly lt?: string;
  readonly limit?: number;
}

/**
 * The narrow storage interface every store engine implements (LevelDB now, a distributed
 * engine for clusters later). Keys and values are strings; a missing key reads as undefined.
 */
export interface KvStore {
  get(key: string): Promise<string | undefined>;
  /** Applies all operations atomically and durably (fsynced) before resolving. */
  batch(operations: readonly KvOperation[]): Promise<void>;
  range(range: KvRange): Promise<Array<[string, string]>>;
  /** A store over a separate keyspace (a region's keyring, identities, the audit trail). Names must not contain "/". */
  scope(name: string): KvStore;
  /** The operations addressed from the root store, so that writes of several scopes commit in one batch. */
  qualify(operations: readonly KvOperation[]): KvOperation[];
  /** The root store, whose batch takes qualified operations. */
  readonly root: KvStore;
}

/** The upper bound that makes a range cover exactly the keys starting with `prefix` (which must end in "/"). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
