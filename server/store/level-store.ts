import { Level } from "level";
import type { KvOperation, KvRange, KvStore } from "./kv-store.js";
import { PrefixedStore } from "./prefixed-store.js";

/**
 * The root KvStore on LevelDB, which owns the handle (and its directory lock). Scopes are key
 * prefixes (PrefixedStore); every batch is fsynced, so an acknowledged write survives a crash.
 */
export class LevelRootStore implements KvStore {
  private constructor(private readonly level: Level<string, string>) {}

  static async open(directory: string): Promise<LevelRootStore> {
    const level = new Level<string, string>(directory, { valueEncoding: "utf8" });
    await level.open();
    return new LevelRootStore(level);
  }

  get root(): KvStore {
    return this;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.level.get(key)) ?? undefined;
  }

  async batch(operations: readonly KvOperation[]): Promise<void> {
    if (operations.length === 0) return;
    await this.level.batch([...operations], { sync: true });
  }

  range(range: KvRange): Promise<Array<[string, string]>> {
    const options: { gt?: string; gte?: string; lt?: string; limit?: number } = {};
    if (range.gt !== undefined) options.gt = range.gt;
    if (range.gte !== undefined) options.gte = range.gte;
    if (range.lt !== undefined) options.lt = range.lt;
    if (range.limit !== undefined) options.limit = range.limit;
    return this.level.iterator(options).all();
  }

  scope(name: string): KvStore {
    return new PrefixedStore(this, "").scope(name);
  }

  qualify(operations: readonly KvOperation[]): KvOperation[] {
    return [...operations];
  }

  async close(): Promise<void> {
    await this.level.close();
  }
}
