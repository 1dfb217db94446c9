import { KeyedLock } from "./keyed-lock.js";
import type { KvOperation, KvStore } from "./kv-store.js";

/**
 * Commits the writes of one change: qualified (root-addressed) operations, applied in one
 * atomic batch. The audit trail supplies one that adds the request's audit record to the batch.
 */
export type Commit = (qualifiedOperations: readonly KvOperation[]) => Promise<void>;

/**
 * Read-modify-write under named locks: the callback stages operations, and they are committed
 * together when it returns, or not at all when it throws.
 */
export class LockedBatches {
  readonly #lock = new KeyedLock();

  constructor(private readonly kv: KvStore) {}

  async run<T>(lockNames: readonly string[], fn: (operations: KvOperation[], elsewhere: (kv: KvStore) => KvOperation[]) => Promise<T>, commit?: Commit): Promise<T> {
    return this.#lock.run(lockNames, async () => {
      const operations: KvOperation[] = [];
      // Writes to other scopes of the same root store, committed in the same batch.
      const others: Array<[KvStore, KvOperation[]]> = [];
      const elsewhere = (kv: KvStore) => {
        const staged: KvOperation[] = [];
        others.push([kv, staged]);
        return staged;
      };
      const result = await fn(operations, elsewhere);
      const qualified = [...this.kv.qualify(operations), ...others.flatMap(([kv, staged]) => kv.qualify(staged))];
      await (commit ? commit(qualified) : this.kv.root.batch(qualified));
      return result;
    });
  }

  /** Runs fn holding the named locks, committing nothing (a change staged elsewhere needs these too). */
  locked<T>(lockNames: readonly string[], fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(lockNames, fn);
  }
}
