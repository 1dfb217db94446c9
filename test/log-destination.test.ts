import { execFile } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test from "ava";
import { BatchedLogDestination, type WriteFn } from "../server/log-destination.js";

const line = (n: number) => `${JSON.stringify({ n, msg: "request" })}\n`;
const eagain = () => Object.assign(new Error("EAGAIN"), { code: "EAGAIN" });

test("lines wait for a full batch or the interval, then reach the file in order", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kms-log-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "log");
  const fd = openSync(file, "w");
  t.teardown(() => closeSync(fd));
  const destination = new BatchedLogDestination(fd, { batchBytes: 200, intervalMs: 50 });
  destination.write(line(1));
  destination.write(line(2));
  t.is(readFileSync(file, "utf8"), "", "nothing is written before the batch is full");
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.is(readFileSync(file, "utf8"), line(1) + line(2), "the interval wrote them");
  const many = Array.from({ length: 20 }, (_, i) => line(i + 3));
  for (const l of many) destination.write(l);
  t.true(readFileSync(file, "utf8").length > 200, "a full batch is written at once");
  destination.flushSync();
  t.is(readFileSync(file, "utf8"), [line(1), line(2), ...many].join(""));
});

test("a partial write continues where it stopped, a descriptor that says EAGAIN keeps its lines, and past the bound lines are dropped and counted", (t) => {
  const out: Buffer[] = [];
  let refuse = 0;
  const write: WriteFn = (_fd, data) => {
    if (refuse > 0) {
      refuse--;
      throw eagain();
    }
    const taken = Math.min(7, data.length); // a pipe that takes a few bytes at a time
    out.push(Buffer.from(data.subarray(0, taken)));
    return taken;
  };
  const destination = new BatchedLogDestination(1, { batchBytes: 1 << 20, maxPendingBytes: 100 }, write);
  destination.write(line(1));
  destination.flushSync();
  t.is(Buffer.concat(out).toString(), line(1));

  refuse = 1;
  destination.write(line(2));
  destination.flushSync(); // EAGAIN: kept
  t.is(Buffer.concat(out).toString(), line(1));
  for (let i = 3; i < 20; i++) destination.write(line(i)); // the 100-byte bound is passed: dropped
  destination.flushSync();
  const lines = Buffer.concat(out).toString().trimEnd().split("\n").map((l) => JSON.parse(l) as { n?: number; dropped?: number });
  t.deepEqual(lines.slice(0, 2).map((l) => l.n), [1, 2]);
  const dropped = lines.find((l) => l.dropped !== undefined)?.dropped ?? 0;
  t.true(dropped > 0, "the dropped lines are counted in a line of their own");
  t.is(lines.filter((l) => l.n !== undefined).length + dropped, 19, "every line is either written or counted");
});

test("a descriptor that keeps refusing is retried by the timer, not once a line", (t) => {
  let attempts = 0;
  const destination = new BatchedLogDestination(1, { batchBytes: 100 }, () => {
    attempts++;
    throw eagain();
  });
  for (let i = 0; i < 1000; i++) destination.write(line(i));
  t.is(attempts, 1, "one attempt when the first batch filled; the rest wait for the timer");
  t.true(destination.flushSync(), "lines are still waiting");
  t.is(attempts, 2);
});

test("a reader that went away (EPIPE) stops the writing; a failed write (ENOSPC) loses its batch and says how many lines", (t) => {
  let calls = 0;
  const gone = new BatchedLogDestination(1, {}, () => {
    calls++;
    throw Object.assign(new Error("EPIPE"), { code: "EPIPE" });
  });
  gone.write(line(1));
  t.notThrows(() => gone.flushSync());
  gone.write(line(2));
  gone.flushSync();
  t.is(calls, 1);

  const out: Buffer[] = [];
  let full = true;
  const disk = new BatchedLogDestination(1, {}, (_fd, data) => {
    if (full) throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
    out.push(Buffer.from(data));
    return data.length;
  });
  disk.write(line(1));
  disk.write(line(2));
  disk.flushSync();
  full = false;
  disk.write(line(3));
  disk.flushSync();
  const written = Buffer.concat(out).toString().trimEnd().split("\n").map((l) => JSON.parse(l) as { n?: number; dropped?: number });
  t.deepEqual(written.map((l) => l.n ?? `dropped ${l.dropped}`), ["dropped 2", 3]);
});

test("what waits is written when the process exits, even by process.exit", async (t) => {
  const module = fileURLToPath(new URL("../server/log-destination.ts", import.meta.url));
  const script = `import { BatchedLogDestination } from ${JSON.stringify(module)};
    const d = new BatchedLogDestination(1);
    for (let i = 0; i < 3; i++) d.write(JSON.stringify({ n: i }) + "\\n");
    process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
  t.is(stdout, '{"n":0}\n{"n":1}\n{"n":2}\n');
});
