import { Level } from "level";
import type { KvOperation, KvRange, KvStore } from "./kv-store.js";

/** The part of a Level database or sublevel this store uses. */
interface LevelLike {
  get(key: string): Promise<string | undefined>;
  batch(operations: KvOperation[], options: { sync: boolean }): Promise<void>;
  iterator(options: { gt?: string; gte?: string; lt?: string; limit?: number }): { all(): Promise<Array<[string, string]>> };
  sublevel(name: string, options: { valueEncoding: "utf8" }): unknown;
}

/** KvStore on LevelDB: each scope is a sublevel, every batch is fsynced so an acknowledged write survives a crash. */
export class LevelStore implements KvStore {
  protected constructor(private readonly db: LevelLike) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.db.get(key)) ?? undefined;
  }

  async batch(operations: readonly KvOperation[]): Promise<void> {
    if (operations.length === 0) return;
    await this.db.batch([...operations], { sync: true });
  }

  async range(range: KvRange): Promise<Array<[string, string]>> {
    const options: { gt?: string; gte?: string; lt?: string; limit?: number } = {};
    if (range.gt !== undefined) options.gt = range.gt;
    if (range.gte !== undefined) options.gte = range.gte;
    if (range.lt !== undefined) options.lt = range.lt;
    if (range.limit !== undefined) options.limit = range.limit;
    return this.db.iterator(options).all();
  }

  scope(name: string): KvStore {
    return new LevelStore(this.db.sublevel(name, { valueEncoding: "utf8" }) as LevelLike);
  }
}

/** The root store, which owns the LevelDB handle (and its directory lock). */
export class LevelRootStore extends LevelStore {
  private constructor(private readonly level: Level<string, string>) {
    super(level as unknown as LevelLike);
  }

  static async open(directory: string): Promise<LevelRootStore> {
    const level = new Level<string, string>(directory, { valueEncoding: "utf8" });
    await level.open();
    return new LevelRootStore(level);
  }

  get status(): string {
    return this.level.status;
  }

  async close(): Promise<void> {
    await this.level.close();
  }
}
