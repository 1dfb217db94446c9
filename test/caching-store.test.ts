import { rm } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { CachingKvStore } from "../server/store/caching-store.js";
import type { KvOperation, KvRange, KvStore } from "../server/store/kv-store.js";
import { LevelRootStore } from "../server/store/level-store.js";
import { makeDataDir } from "./support/server.js";

/** The real LevelDB root, counting reads, optionally holding a read until released. */
class ObservedStore implements KvStore {
  reads = 0;
  hold?: Promise<void>;
  constructor(private readonly inner: LevelRootStore) {}
  get root(): KvStore {
    return this;
  }
  async get(key: string) {
    this.reads++;
    const value = await this.inner.get(key);
    if (this.hold) await this.hold;
    return value;
  }
  async range(range: KvRange) {
    this.reads++;
    return this.inner.range(range);
  }
  batch(operations: readonly KvOperation[]) {
    return this.inner.batch(operations);
  }
  scope(name: string) {
    return this.inner.scope(name);
  }
  qualify(operations: readonly KvOperation[]) {
    return operations.slice();
  }
}

async function stores(t: { teardown(fn: () => Promise<void>): void }, limits = { maxEntries: 100, maxAgeMs: 60_000 }, now?: () => number) {
  const dir = await makeDataDir();
  const level = await LevelRootStore.open(join(dir, "leveldb"));
  t.teardown(async () => {
    await level.close();
    await rm(dir, { recursive: true, force: true });
  });
  const observed = new ObservedStore(level);
  return { observed, cache: new CachingKvStore(observed, limits, now) };
}

test("reads are served from the cache until a write through it changes them", async (t) => {
  const { observed, cache } = await stores(t);
  const keyring = cache.scope("regions").scope("us-east-1");
  await keyring.batch([{ type: "put", key: "k/1", value: "Enabled" }]);
  t.is(await keyring.get("k/1"), "Enabled");
  t.is(await keyring.get("k/1"), "Enabled");
  t.is(observed.reads, 1);
  await keyring.batch([{ type: "put", key: "k/1", value: "Disabled" }]);
  t.is(await keyring.get("k/1"), "Disabled", "the very next read sees the change");
  t.is(observed.reads, 2);
});

test("a whole-prefix range is cached and dropped when a key under it is written", async (t) => {
  const { observed, cache } = await stores(t);
  const grants = cache.scope("r");
  await grants.batch([{ type: "put", key: "g/key1/a", value: "1" }]);
  const list = () => grants.range({ gte: "g/key1/", lt: "g/key10" });
  t.deepEqual(await list(), [["g/key1/a", "1"]]);
  t.deepEqual(await list(), [["g/key1/a", "1"]]);
  t.is(observed.reads, 1);
  await grants.batch([{ type: "del", key: "g/key1/a" }]);
  t.deepEqual(await list(), []);
  // A range with a limit or a lower bound inside the prefix is never cached.
  await grants.range({ gte: "g/key1/", lt: "g/key10", limit: 5 });
  await grants.range({ gte: "g/key1/", lt: "g/key10", limit: 5 });
  t.is(observed.reads, 4);
});

test("a read that raced with a write is not cached, so it cannot bring back the old value", async (t) => {
  const { observed, cache } = await stores(t);
  await cache.batch([{ type: "put", key: "x", value: "old" }]);
  let release!: () => void;
  observed.hold = new Promise((r) => (release = r));
  const slowRead = cache.get("x"); // reads "old", then waits
  await new Promise((r) => setTimeout(r, 20));
  observed.hold = undefined;
  await cache.batch([{ type: "put", key: "x", value: "new" }]);
  release();
  t.is(await slowRead, "old");
  t.is(await cache.get("x"), "new");
});

test("the cache is bounded by entries and by age", async (t) => {
  let now = 0;
  const { observed, cache } = await stores(t, { maxEntries: 3, maxAgeMs: 1000 }, () => now);
  for (const k of ["a", "b", "c", "d"]) await cache.get(k);
  t.is(cache.size, 3);
  const before = observed.reads;
  await cache.get("a"); // the oldest was evicted
  t.is(observed.reads, before + 1);
  await cache.get("d");
  t.is(observed.reads, before + 1);
  now += 1001;
  await cache.get("d");
  t.is(observed.reads, before + 2);
});

test("writesUnder changes with every write to its top-level scope, and only with those", async (t) => {
  const { cache } = await stores(t);
  const identity = cache.writesUnder("identity");
  await cache.batch([{ type: "put", key: "audit/g/1", value: "x" }, { type: "put", key: "regions/us-east-1/lu/k", value: "y" }]);
  t.is(cache.writesUnder("identity"), identity);
  await cache.batch([{ type: "put", key: "identity/sess/1", value: "z" }]);
  t.not(cache.writesUnder("identity"), identity);
});
