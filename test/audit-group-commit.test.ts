import { appendFile, readdir, readFile, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { AuditLog } from "../server/audit/audit-log.js";
import { chainEntry, GENESIS_HASH } from "../server/audit/audit-chain.js";
import type { AuditEntry } from "../server/audit/audit-record.js";
import type { BatchOptions, KvOperation, KvRange, KvStore } from "../server/store/kv-store.js";
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
  relaxed = 0;
  async batch(operations: readonly KvOperation[], options?: BatchOptions) {
    const counter = this.rootStore ?? this;
    counter.batches++;
    if (options?.relaxed) counter.relaxed++;
    if (counter.failNext) {
      counter.failNext = false;
      throw new Error("disk full");
    }
    return this.inner.batch(operations, options);
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

async function openLog(t: { teardown(fn: () => Promise<void>): void }, segmentBytes?: number) {
  const dir = await makeDataDir();
  const level = await LevelRootStore.open(join(dir, "leveldb"));
  const logs: AuditLog[] = [];
  t.teardown(async () => {
    for (const log of logs) await log.close();
    await level.close();
    await rm(dir, { recursive: true, force: true });
  });
  const store = new CountingStore(level);
  const trail = join(dir, "audit");
  /** Opens the log again, as a restarted server would (the previous one must be closed). */
  const reopen = async () => {
    const log = await AuditLog.open(store.scope("audit"), trail, segmentBytes);
    logs.push(log);
    return log;
  };
  return { store, log: await reopen(), level, trail, reopen };
}

/** The trail's segment files, in order. */
async function segmentFiles(trail: string): Promise<string[]> {
  return (await readdir(trail)).filter((name) => name.endsWith(".jsonl")).sort().map((name) => join(trail, name));
}

test("concurrent appends are committed in groups, far fewer batches than records, and the chain stays intact", async (t) => {
  const { store, log, level } = await openLog(t);
  // Each record's bookkeeping write makes its group's one (relaxed) batch: batches count groups.
  const usage = level.scope("data").qualify([{ type: "put", key: "last-used", value: "now" }]);
  const records = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i), [], usage)));
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

test("records without changes take no store batch of their own; their bookkeeping is a relaxed batch, visible at once", async (t) => {
  const { store, log, level } = await openLog(t);
  const data = level.scope("data");
  await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(entry(i), [], data.qualify([{ type: "put", key: "last-used", value: String(i) }]))));
  t.is(await data.get("last-used"), "9", "the last write of the group wins");
  t.is(store.batches, store.relaxed, "every batch was relaxed: no fsync in the store");
  t.true(store.batches < 10);
  t.is(await level.get("audit/journal"), undefined);
});

test("a record's changes commit with a journal of its group, and a crash before the segment write loses no record", async (t) => {
  const { log, level, trail, reopen } = await openLog(t);
  const data = level.scope("data");
  await log.append(entry(1));
  const [segment] = await segmentFiles(trail);
  const before = (await readFile(segment!)).length;
  await log.append(entry(2), data.qualify([{ type: "put", key: "a", value: "1" }]));
  t.regex((await level.get("audit/journal"))!, /"requestId":"r2"/);
  await log.close();
  // As if the process died after the store batch and before the segment write.
  await truncate(segment!, before);
  const reopened = await reopen();
  t.is(await data.get("a"), "1");
  t.deepEqual(await reopened.verify(), { intact: true, records: 2 });
  t.deepEqual((await reopened.list({}, 0, 10)).map((r) => r.requestId), ["r1", "r2"]);
  t.is((await reopened.append(entry(3))).seq, 3);
});

test("a line half written by a crash is cut off on open, and the chain goes on from the last whole record", async (t) => {
  const { log, trail, reopen } = await openLog(t);
  await Promise.all([log.append(entry(1)), log.append(entry(2))]);
  await log.close();
  const [segment] = await segmentFiles(trail);
  await appendFile(segment!, '{"time":"1970-01-01T00:00:00.000Z","requestId":"r3","rp');
  const reopened = await reopen();
  t.is((await reopened.append(entry(3))).seq, 3);
  t.deepEqual(await reopened.verify(), { intact: true, records: 3 });
  t.true((await readFile(segment!, "utf8")).endsWith("}\n"));
});

test("the trail rolls over to new segment files, and lists across them from any record", async (t) => {
  const { log, trail, reopen } = await openLog(t, 2048);
  for (let i = 1; i <= 60; i++) await log.append(entry(i));
  const files = await segmentFiles(trail);
  t.true(files.length > 3, `${files.length} segments`);
  await log.close();
  const reopened = await reopen();
  t.deepEqual(await reopened.verify(), { intact: true, records: 60 });
  for (const after of [0, 1, 17, 29, 58, 59, 60]) {
    t.deepEqual((await reopened.list({}, after, 5)).map((r) => r.seq), Array.from({ length: Math.min(5, 60 - after) }, (_, i) => after + 1 + i), `after ${after}`);
  }
  t.is((await reopened.append(entry(61))).seq, 61);
});

test("a trail kept in LevelDB groups by an older version is moved into segment files on open", async (t) => {
  const { level, log, trail, reopen } = await openLog(t);
  await log.close();
  await rm(trail, { recursive: true });
  // The old layout: one LevelDB entry a group, under audit/g/<last seq>, and audit/head.
  let prevHash = GENESIS_HASH;
  const lines: string[] = [];
  for (let seq = 1; seq <= 5; seq++) {
    const { hash, json } = chainEntry(entry(seq), seq, prevHash);
    lines.push(json);
    prevHash = hash;
  }
  const audit = level.scope("audit");
  await audit.batch([
    { type: "put", key: "g/000000000003", value: lines.slice(0, 3).join("\n") },
    { type: "put", key: "g/000000000005", value: lines.slice(3).join("\n") },
    { type: "put", key: "head", value: JSON.stringify({ seq: 5, hash: prevHash }) },
  ]);
  const moved = await reopen();
  t.deepEqual(await moved.verify(), { intact: true, records: 5 });
  t.deepEqual(await audit.range({}), [], "the old entries are gone");
  t.is((await moved.append(entry(6))).seq, 6);
  t.deepEqual((await moved.list({}, 0, 10)).map((r) => r.requestId), ["r1", "r2", "r3", "r4", "r5", "r6"]);
  t.is((await readFile((await segmentFiles(trail))[0]!, "utf8")).split("\n").length, 7);
});
