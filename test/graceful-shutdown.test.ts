import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import test from "ava";
import { connectGrpc } from "./support/clients.js";
import { login, makeDataDir } from "./support/server.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs the README's start command (`npm start`) and waits for its "listening" line. */
async function npmStart(dataDir: string): Promise<{ child: ChildProcess; url: string; token: string; pid: number; lines: Array<Record<string, unknown>> }> {
  const child = spawn("npm", ["start", "--silent"], { cwd: root, env: { ...process.env, KMS_PORT: "0", KMS_DATA_DIR: dataDir }, detached: true, stdio: ["ignore", "pipe", "inherit"] });
  const lines: Array<Record<string, unknown>> = [];
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.msg === "listening") resolve(entry);
    });
    child.once("exit", (code) => reject(new Error(`npm start exited early with ${code}`)));
  });
  const url = listening.url as string;
  const admin = JSON.parse(await readFile(join(dataDir, "admin-credentials.json"), "utf8")) as { access_key_id: string; secret_access_key: string };
  return { child, url, token: await login(url, admin.access_key_id, admin.secret_access_key), pid: listening.pid as number, lines };
}

/** Resolves when a process is gone (it may be a grandchild, so there is no exit event to wait for). */
async function exitOf(pid: number, timeoutMs: number): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await new Promise((r) => setTimeout(r, 50))) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
  }
  return false;
}

test("npm start serves, and SIGTERM finishes in-flight calls, closes LevelDB and exits", async (t) => {
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const first = await npmStart(dataDir);
  const kms = connectGrpc.connect(first);
  const { keyMetadata } = await kms.createKey({ description: "before shutdown" });

  const inFlight = Array.from({ length: 50 }, () => kms.generateRandom({ numberOfBytes: 16 }).then(() => "ok", () => "refused"));
  // SIGTERM to the whole process group, as a terminal or container runtime does; npm itself
  // exits at once, the server finishes its work first.
  process.kill(-first.child.pid!, "SIGTERM");
  t.true(await exitOf(first.pid, 15_000), "the server process exited");
  const outcomes = await Promise.all(inFlight);
  t.is(outcomes.length, 50); // every call settled: none hangs on a closed server
  t.true(first.lines.some((l) => l.msg === "shutting down"));
  t.true(first.lines.some((l) => l.msg === "stopped"));

  // LevelDB was closed cleanly: a new server opens the same directory and finds the key.
  const second = await npmStart(dataDir);
  t.teardown(() => process.kill(-second.child.pid!, "SIGTERM"));
  const described = await connectGrpc.connect(second).describeKey({ keyId: keyMetadata!.keyId });
  t.is(described.keyMetadata?.description, "before shutdown");
});
