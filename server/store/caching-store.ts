import type { KvOperation, KvRange, KvStore } from "./kv-store.js";
import { PrefixedStore } from "./prefixed-store.js";

/** Bounds of the read cache: entries and age. */
export interface CacheLimits {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
}

const MAX_CACHED_RANGE_ROWS = 256;

interface Entry<T> {
  readonly value: T;
  readonly at: number;
}

/**
 * A read cache in front of the root store: single keys, and whole-prefix ranges (a key's
 * grants, a user's policies). Every write goes through this store's batch, which drops what it
 * touched before the write is acknowledged, so the very next request after a change sees it.
 * A read that raced with any write is not cached. Bounded by entries (oldest first out) and age.
 */
export class CachingKvStore implements KvStore {
  readonly #values = new Map<string, Entry<string | undefined>>();
  readonly #ranges = new Map<string, Entry<Array<[string, string]>>>();
  /** Bumped by every write; a read that saw it change does not fill the cache. */
  #epoch = 0;
  /** Like #epoch, by top-level scope ("identity", "regions", "audit"). */
  readonly #scopeEpochs = new Map<string, number>();

  constructor(
    private readonly inner: KvStore,
    private readonly limits: CacheLimits,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get root(): KvStore {
    return this;
  }

  async get(key: string): Promise<string | undefined> {
    const hit = this.#fresh(this.#values, key);
    if (hit) return hit.value;
    const epoch = this.#epoch;
    const value = await this.inner.get(key);
    if (epoch === this.#epoch) this.#put(this.#values, key, value);
    return value;
  }

  async range(range: KvRange): Promise<Array<[string, string]>> {
    const prefix = wholePrefix(range);
    if (prefix === undefined) return this.inner.range(range);
    const hit = this.#fresh(this.#ranges, prefix);
    if (hit) return hit.value;
    const epoch = this.#epoch;
    const rows = await this.inner.range(range);
    // Small collections only (a key's grants, a user's policies); never a whole audit trail.
    if (epoch === this.#epoch && rows.length <= MAX_CACHED_RANGE_ROWS) this.#put(this.#ranges, prefix, rows);
    return rows;
  }

  async batch(operations: readonly KvOperation[]): Promise<void> {
    this.#epoch++;
    this.#bumpScopes(operations);
    try {
      await this.inner.batch(operations);
    } finally {
      this.#epoch++;
      this.#bumpScopes(operations);
      for (const { key } of operations) this.#invalidate(key);
    }
  }

  /**
   * A number that changes whenever a write under the top-level scope starts or ends: what was
   * derived from reads of the scope while it stayed the same is still what the store holds.
   * Writes elsewhere (the audit trail, last-usage records) leave it alone.
   */
  writesUnder(scope: string): number {
    return this.#scopeEpochs.get(scope) ?? 0;
  }

  #bumpScopes(operations: readonly KvOperation[]): void {
    let last: string | undefined;
    for (const { key } of operations) {
      const slash = key.indexOf("/");
      const scope = slash === -1 ? key : key.slice(0, slash);
      if (scope === last) continue;
      last = scope;
      this.#scopeEpochs.set(scope, (this.#scopeEpochs.get(scope) ?? 0) + 1);
    }
  }

  scope(name: string): KvStore {
    return new PrefixedStore(this, "").scope(name);
  }

  qualify(operations: readonly KvOperation[]): KvOperation[] {
    return [...operations];
  }

  /** Entries cached now (for tests and metrics). */
  get size(): number {
    return this.#values.size + this.#ranges.size;
  }

  #invalidate(key: string): void {
    this.#values.delete(key);
    // Cached ranges are whole prefixes ending in "/": drop each one that contains the key.
    for (let i = key.indexOf("/"); i !== -1; i = key.indexOf("/", i + 1)) this.#ranges.delete(key.slice(0, i + 1));
  }

  #fresh<T>(map: Map<string, Entry<T>>, key: string): Entry<T> | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.limits.maxAgeMs) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  #put<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    map.delete(key);
    map.set(key, { value, at: this.now() });
    if (map.size > this.limits.maxEntries) map.delete(map.keys().next().value!);
  }
}

/** The prefix of a range that covers exactly the keys under it, or undefined for any other range. */
function wholePrefix(range: KvRange): string | undefined {
  const { gte, lt } = range;
  if (gte === undefined || lt === undefined || range.gt !== undefined || range.limit !== undefined) return undefined;
  const n = gte.length;
  if (n === 0 || gte.charCodeAt(n - 1) !== SLASH) return undefined;
  // lt is prefixEnd(gte) ("a/" -> "a0") or gte + "\uffff"; compared without building either.
  const covers = lt.length === n ? lt.charCodeAt(n - 1) === SLASH + 1 && lt.startsWith(gte.substring(0, n - 1)) : lt.length === n + 1 && lt.charCodeAt(n) === 0xffff && lt.startsWith(gte);
  return covers ? gte : undefined;
}

const SLASH = 0x2f;
