import { rm } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { AuditLog } from "../server/audit/audit-log.js";
import type { AuditEntry } from "../server/audit/audit-record.js";
import type { KvOperation, KvRange, KvStore } from "../server/store/kv-store.js";
import { LevelRootStore } from "../server/store/level-store.js";
import { makeDataDir } from "./support/server.js";

/** The real LevelDB store, with a count of its batches and a switch to make the next one fail. */
class CountingStore implements KvStore {
  batches = 0;
  failNext = false;
  constructor(private readonly inner: KvStore, readonly rootStore?: CountingStore) {}
  get root(): KvStore {
    return this.rootStore ?? this;
  }
  get(key: string) {
    return this.inner.get(key);
  }
  async batch(operations: readonly KvOperation[]) {
    const counter = this.rootStore ?? this;
    counter.batches++;
    if (counter.failNext) {
      counter.failNext = false;
      throw new Error("disk full");
    }
    return this.inner.batch(operations);
  }
  range(range: KvRange) {
    return this.inner.range(range);
  }
  scope(name: string): KvStore {
    return new CountingStore(this.inner.scope(name), this.rootStore ?? this);
  }
  qualify(operations: readonly KvOperation[]) {
    return this.inner.qualify(operations);
  }
}

const entry = (i: number): AuditEntry => ({ time: new Date(0).toISOString(), requestId: `r${i}`, rpc: "test/Op", access: [], decision: "none", outcome: "ok" });

async function openLog(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await makeDataDir();
  const level = await LevelRootStore.open(join(dir, "leveldb"));
  t.teardown(async () => {
    await level.close();
    await rm(dir, { recursive: true, force: true });
  });
  const store = new CountingStore(level);
  return { store, log: await AuditLog.open(store.scope("audit")), level };
}

test("concurrent appends are committed in groups, far fewer batches than records, and the chain stays intact", async (t) => {
  const { store, log } = await openLog(t);
  const records = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i))));
  t.deepEqual(records.map((r) => r.seq), Array.from({ length: 300 }, (_, i) => i + 1));
  t.true(store.batches < 300 / 4, `${store.batches} batches for 300 records`);
  const check = await log.verify();
  t.deepEqual(check, { intact: true, records: 300 });
});

test("a record's own changes are in its group's batch", async (t) => {
  const { log, level } = await openLog(t);
  const data = level.scope("data");
  await Promise.all([log.append(entry(1), data.qualify([{ type: "put", key: "a", value: "1" }])), log.append(entry(2), data.qualify([{ type: "put", key: "b", value: "2" }]))]);
  t.is(await data.get("a"), "1");
  t.is(await data.get("b"), "2");
});

test("a failed group refuses its records and those queued after it; the chain goes on intact from disk", async (t) => {
  const { store, log, level } = await openLog(t);
  await log.append(entry(0));
  store.failNext = true;
  const data = level.scope("data");
  const failing = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.append(entry(i + 1), data.qualify([{ type: "put", key: `k${i}`, value: "x" }]))));
  t.true(failing.some((r) => r.status === "rejected"));
  const rejected = failing.filter((r) => r.status === "rejected").length;
  t.is(await data.get("k0"), undefined, "the failed group's changes were not applied");
  const after = await log.append(entry(99));
  t.is(after.seq, 2 + (20 - rejected));
  t.deepEqual(await log.verify(), { intact: true, records: after.seq });
});
