import { Level } from "level";
import type { KvOperation, KvRange, KvStore } from "./kv-store.js";

/**
 * KvStore on LevelDB. A scope is a key prefix ("regions/us-east-1/"), so writes of several
 * scopes can commit in one atomic batch; every batch is fsynced, so an acknowledged write
 * survives a crash.
 */
export class LevelStore implements KvStore {
  protected constructor(
    private readonly db: Level<string, string>,
    private readonly prefix: string,
    private readonly rootStore?: KvStore,
  ) {}

  get root(): KvStore {
    return this.rootStore ?? this;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.db.get(this.prefix + key)) ?? undefined;
  }

  async batch(operations: readonly KvOperation[]): Promise<void> {
    if (operations.length === 0) return;
    await this.db.batch(this.qualify(operations), { sync: true });
  }

  async range(range: KvRange): Promise<Array<[string, string]>> {
    const p = this.prefix;
    const options: { gt?: string; gte?: string; lt?: string; lte?: string; limit?: number } = {};
    if (range.gt !== undefined) options.gt = p + range.gt;
    if (range.gte !== undefined) options.gte = p + range.gte;
    if (range.gt === undefined && range.gte === undefined) options.gte = p;
    if (range.lt !== undefined) options.lt = p + range.lt;
    else options.lt = p + "\uffff";
    if (range.limit !== undefined) options.limit = range.limit;
    const rows = await this.db.iterator(options).all();
    return rows.map(([key, value]) => [key.slice(p.length), value]);
  }

  scope(name: string): KvStore {
    if (name === "" || name.includes("/")) throw new TypeError(`bad scope name ${JSON.stringify(name)}`);
    return new LevelStore(this.db, `${this.prefix}${name}/`, this.root);
  }

  qualify(operations: readonly KvOperation[]): KvOperation[] {
    return operations.map((op) => (op.type === "put" ? { type: "put", key: this.prefix + op.key, value: op.value } : { type: "del", key: this.prefix + op.key }));
  }
}

/** The root store, which owns the LevelDB handle (and its directory lock). */
export class LevelRootStore extends LevelStore {
  private constructor(private readonly level: Level<string, string>) {
    super(level, "");
  }

  static async open(directory: string): Promise<LevelRootStore> {
    const level = new Level<string, string>(directory, { valueEncoding: "utf8" });
    await level.open();
    return new LevelRootStore(level);
  }

  async close(): Promise<void> {
    await this.level.close();
  }
}
