import { derivedFrom } from "./derived.js";
import type { KvOperation, KvRange, KvStore } from "./kv-store.js";

/**
 * A scope of a root store: every key is the scope's prefix ("regions/us-east-1/") plus its own.
 * Reads and writes go through the root, so whatever the root adds (a cache) sees them all, and
 * writes of several scopes can commit in one batch.
 */
export class PrefixedStore implements KvStore {
  readonly #unprefixed = new WeakMap<Array<[string, string]>, Array<[string, string]>>();

  constructor(
    readonly root: KvStore,
    private readonly prefix: string,
  ) {}

  get(key: string): Promise<string | undefined> {
    return this.root.get(this.prefix + key);
  }

  batch(operations: readonly KvOperation[]): Promise<void> {
    return this.root.batch(this.qualify(operations));
  }

  async range(range: KvRange): Promise<Array<[string, string]>> {
    const p = this.prefix;
    const lt = range.lt !== undefined ? p + range.lt : p + "\uffff";
    // Plain literals, no spreads: every key's grants and every caller's policies come through here.
    const rows = await this.root.range(range.gt !== undefined ? { gt: p + range.gt, lt, limit: range.limit } : { gte: p + (range.gte ?? ""), lt, limit: range.limit });
    return derivedFrom(this.#unprefixed, rows, (all) => all.map(([key, value]) => [key.slice(p.length), value]));
  }

  scope(name: string): KvStore {
    if (name === "" || name.includes("/")) throw new TypeError(`bad scope name ${JSON.stringify(name)}`);
    return new PrefixedStore(this.root, `${this.prefix}${name}/`);
  }

  qualify(operations: readonly KvOperation[]): KvOperation[] {
    return operations.map((op) => (op.type === "put" ? { type: "put", key: this.prefix + op.key, value: op.value } : { type: "del", key: this.prefix + op.key }));
  }
}
