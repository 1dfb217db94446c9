import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { cpus } from "node:os";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { IdentityService } from "../gen/kms/v1/identity_service_pb.js";

// What the end-to-end benchmarks share: the real server in its own process with a fresh data
// directory, the admin's session, and the load generator run in a process of its own.
const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Spawns node, pinned to a core of its own when the machine has two or more and taskset is
 * there: the server (and the reference server) on the last core, the load generator on the
 * others. Unpinned, the two processes trade cores and caches, and the server's CPU per request
 * moved by a third between runs minutes apart; pinned, each figure is the server's own work.
 */
export function spawnNode(role: "server" | "load", args: readonly string[], options: SpawnOptions): ChildProcess {
  const count = cpus().length;
  if (count < 2 || !hasTaskset) return spawn(process.execPath, args, options);
  const cores = role === "server" ? String(count - 1) : `0-${count - 2}`;
  return spawn("taskset", ["-c", cores, process.execPath, ...args], options);
}
const hasTaskset = spawnSync("taskset", ["-V"]).status === 0;

/** The real server, listening: its URL, its pid (for /proc), and how to stop it. */
export interface BenchServer {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Logs in with the admin credentials the server wrote on first start; returns the session token. */
  adminSessionToken(): Promise<string>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts server/main.ts on a free port with a fresh data directory and waits until it listens. */
export async function startServer(): Promise<BenchServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "kms-bench-"));
  // KMS_BENCH_BUILD: a directory of tsc output to run instead of the sources (to compare builds).
  const build = process.env.KMS_BENCH_BUILD;
  const server = spawnNode("server", build ? [join(build, "server/main.js")] : ["--import", "tsx", "server/main.ts"], {
    cwd: root,
    // Quotas off: this measures capacity, not the quota (which would refuse the control-plane rows).
    env: { ...process.env, KMS_PORT: "0", KMS_DATA_DIR: dataDir, KMS_LOG_LEVEL: "info", KMS_QUOTA_SYMMETRIC: "0", KMS_QUOTA_ASYMMETRIC: "0", KMS_QUOTA_CONTROL: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const listening = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const lines = createInterface({ input: server.stdout! });
    lines.on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string; pid?: number };
      if (entry.msg !== "listening") return;
      resolve({ url: entry.url!, pid: entry.pid! });
      // From here on the request lines are drained unread: parsing thousands a second here
      // took CPU from the server's or the load generator's core.
      lines.close();
      server.stdout!.resume();
    });
    server.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return {
    url: listening.url,
    pid: listening.pid,
    dataDir,
    async adminSessionToken() {
      const admin = JSON.parse(await readFile(join(dataDir, "admin-credentials.json"), "utf8")) as { access_key_id: string; secret_access_key: string };
      const { credentials } = await createClient(IdentityService, createGrpcTransport({ baseUrl: listening.url })).login({ accessKeyId: admin.access_key_id, secretAccessKey: admin.secret_access_key });
      return credentials!.sessionToken;
    },
    async stop() {
      server.kill("SIGTERM");
      await once(server, "exit");
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What the load generator measured (see load-generator.ts). */
export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Runs the load generator in its own process and returns what it measured. */
export async function generate(job: object): Promise<LoadResult> {
  const child = spawnNode("load", ["--import", "tsx", fileURLToPath(new URL("./load-generator.ts", import.meta.url))], {
    env: { ...process.env, KMS_BENCH_JOB: JSON.stringify(job) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, "exit")) as [number];
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(out.trim().split("\n").pop()!) as never;
}
