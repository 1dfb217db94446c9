import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { HealthCheckRequestSchema } from "../gen/grpc/health/v1/health_pb.js";
import { DescribeKeyRequestSchema } from "../gen/kms/v1/keys_pb.js";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { DecryptRequestSchema, EncryptRequestSchema, GenerateDataKeyRequestSchema, ReEncryptRequestSchema } from "../gen/kms/v1/symmetric_pb.js";
import { DataKeySpec } from "../gen/kms/v1/types_pb.js";
import { generate, spawnNode, startServer } from "./bench-server.js";
import { cpuSeconds, residentMiB } from "./process-stats.js";

// The end-to-end benchmark: the real server (authentication, authorization and audit on, as in
// production) in its own process, driven by a load generator in another, with 64 calls in flight
// over 4 HTTP/2 connections. Server CPU per request comes from /proc; every figure is also given
// as a ratio to the no-op health Check on the same transport, measured in the same run.
const smoke = process.env.BENCH_SMOKE === "1";
const rounds = smoke ? 1 : Number(process.env.BENCH_ROUNDS ?? 5);
const durationMs = smoke ? 300 : 2000;
const concurrency = 64;
const connections = 4;
const listening = await startServer();

try {
  const token = await listening.adminSessionToken();
  const auth: Interceptor = (next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req));
  const kms = createClient(KeyManagementService, createGrpcTransport({ baseUrl: listening.url, interceptors: [auth] }));
  const keyId = (await kms.createKey({ description: "benchmark" })).keyMetadata!.keyId;
  const context = { tenant: "bench" };
  const small = new Uint8Array(32).fill(7);
  const ciphertext = (await kms.encrypt({ keyId, plaintext: small, encryptionContext: context })).ciphertextBlob;

  const bin = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => Buffer.from(toBinary(schema, create(schema, init))).toString("base64");
  const kmsPath = (rpc: string) => `/kms.v1.KeyManagementService/${rpc}`;
  const scenarios = [
    { name: "no-op (health Check)", path: "/grpc.health.v1.Health/Check", request: bin(HealthCheckRequestSchema, {}), authenticated: false },
    { name: "Encrypt 32 B", path: kmsPath("Encrypt"), request: bin(EncryptRequestSchema, { keyId, plaintext: small, encryptionContext: context }), authenticated: true },
    // The same call well below saturation: at 64 in flight, latency is mostly queueing (Little's law).
    { name: "Encrypt 32 B, 8 in flight", path: kmsPath("Encrypt"), request: bin(EncryptRequestSchema, { keyId, plaintext: small, encryptionContext: context }), authenticated: true, concurrency: 8 },
    { name: "Encrypt 4 KiB", path: kmsPath("Encrypt"), request: bin(EncryptRequestSchema, { keyId, plaintext: new Uint8Array(4096).fill(9), encryptionContext: context }), authenticated: true },
    { name: "Decrypt 32 B", path: kmsPath("Decrypt"), request: bin(DecryptRequestSchema, { ciphertextBlob: ciphertext, encryptionContext: context }), authenticated: true },
    { name: "GenerateDataKey AES_256", path: kmsPath("GenerateDataKey"), request: bin(GenerateDataKeyRequestSchema, { keyId, keySpec: DataKeySpec.AES_256 }), authenticated: true },
    { name: "ReEncrypt", path: kmsPath("ReEncrypt"), request: bin(ReEncryptRequestSchema, { ciphertextBlob: ciphertext, sourceEncryptionContext: context, destinationKeyId: keyId }), authenticated: true },
    { name: "DescribeKey", path: kmsPath("DescribeKey"), request: bin(DescribeKeyRequestSchema, { keyId }), authenticated: true },
  ];

  // The reference: a bare @grpc/grpc-js server's no-op, on the same core as ours.
  const reference = spawnNode("server", ["--import", "tsx", fileURLToPath(new URL("./grpc-js-noop-server.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
  const ref = await new Promise<{ port: number; pid: number }>((resolve) => createInterface({ input: reference.stdout! }).once("line", (l) => resolve(JSON.parse(l) as never)));
  const referenceRow = { protocol: "grpc" as const, name: "reference: @grpc/grpc-js server no-op", url: `http://127.0.0.1:${ref.port}`, pid: ref.pid, path: "/grpc.health.v1.Health/Check", request: "", authenticated: false };

  try {
    // BENCH_ROWS (a regular expression over "protocol operation") narrows the table while working
    // on one path; a protocol's no-op runs whenever any of its rows does, and the gRPC no-op and
    // the reference always (the reference's ratio is to the gRPC no-op).
    const only = new RegExp(process.env.BENCH_ROWS ?? "");
    const picked = (["grpc", "connect"] as const).flatMap((protocol) =>
      scenarios.slice(1).filter((s) => only.test(`${protocol} ${s.name}`)).map((s) => ({ ...s, protocol, url: listening.url, pid: listening.pid, ...(s.authenticated ? { token } : {}) })),
    );
    if (picked.length === 0) throw new Error(`BENCH_ROWS=${process.env.BENCH_ROWS} matches no row`);
    const noop = (protocol: "grpc" | "connect") => ({ ...scenarios[0]!, protocol, url: listening.url, pid: listening.pid });
    const rows = [noop("grpc"), ...picked.filter((r) => r.protocol === "grpc"), ...(picked.some((r) => r.protocol === "connect") ? [noop("connect")] : []), ...picked.filter((r) => r.protocol === "connect"), referenceRow];
    // A freshly started server is still compiling its hot paths and collecting start-up garbage:
    // warm the whole of it before the first round.
    if (!smoke) {
      for (const row of [rows[1]!, rows[0]!, referenceRow]) await generate(jobOf(row, 2000));
    }
    // Rounds: every row once a round, in the same order. The machine's speed drifts by a third
    // within minutes, so one long run per row compares rows measured at different speeds;
    // medians over interleaved rounds compare them at the same ones.
    const samples = rows.map(() => [] as Sample[]);
    for (let round = 0; round < rounds; round++) {
      for (const [i, row] of rows.entries()) samples[i]!.push(await measure(row));
    }

    const summary = rows.map((row, i) => ({ row, ...medians(samples[i]!) }));
    const noopOf = (protocol: string) => summary.find((r) => r.row.protocol === protocol && r.row.name.startsWith("no-op"))!.cpuUs;
    const table = summary.map(({ row, ...m }) => ({
      protocol: row.protocol,
      operation: row.name,
      requestsPerSecond: m.requestsPerSecond,
      p50: m.p50,
      p90: m.p90,
      p99: m.p99,
      serverCpuUsPerRequest: m.cpuUs,
      // The reference is a ratio to our no-op; every other row to the no-op of its own protocol.
      cpuRatioToNoop: ratio(m.cpuUs, noopOf(row.protocol)),
      serverRssMiB: m.rssMiB,
      errors: m.errors,
    }));

    console.log(`\nend to end, ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}, ${concurrency} in flight over ${connections} connections, ${rounds} rounds of ${durationMs} ms, medians${smoke ? " (smoke)" : ""}`);
    console.log("| protocol | operation | req/s | p50 ms | p90 ms | p99 ms | server CPU us/req | x no-op CPU | server RSS MiB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of table) console.log(`| ${r.protocol} | ${r.operation} | ${r.requestsPerSecond} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.serverCpuUsPerRequest} | ${r.cpuRatioToNoop} | ${r.serverRssMiB} |`);
    if (!smoke) {
      await mkdir(new URL("./results/", import.meta.url), { recursive: true });
      await writeFile(new URL(`./results/load-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url), JSON.stringify({ node: process.version, cpus: cpus().length, rounds, roundMs: durationMs, rows: table }, null, 2));
    }
  } finally {
    reference.kill();
  }
} finally {
  await listening.stop();
}

/** What one round measured of one row. */
interface Sample {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly cpuUs: number;
  readonly rssMiB: number;
  readonly errors: number;
}

interface Row {
  readonly protocol: "grpc" | "connect";
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly path: string;
  readonly request: string;
  readonly authenticated: boolean;
  readonly token?: string;
  readonly concurrency?: number;
}

function jobOf(row: Row, ms: number) {
  return { url: row.url, protocol: row.protocol, path: row.path, request: row.request, concurrency: row.concurrency ?? concurrency, connections, durationMs: ms, ...(row.token !== undefined ? { token: row.token } : {}) };
}

/** One round of a row: a short warm-up, then the measured run, with the server's CPU from /proc. */
async function measure(row: Row): Promise<Sample> {
  if (!smoke) await generate(jobOf(row, 300));
  const cpuBefore = await cpuSeconds(row.pid);
  const result = await generate(jobOf(row, durationMs));
  const cpuUs = result.requests === 0 ? 0 : (((await cpuSeconds(row.pid)) - cpuBefore) / result.requests) * 1e6;
  if (result.errors > 0) console.error(`${row.protocol} ${row.name}: ${result.errors} errors (${result.firstError})`);
  return { requestsPerSecond: result.requests / (result.elapsedMs / 1000), p50: result.p50, p90: result.p90, p99: result.p99, cpuUs, rssMiB: await residentMiB(row.pid), errors: result.errors };
}

/** Each figure's median over the rounds, rounded for the table. */
function medians(samples: readonly Sample[]) {
  const median = (pick: (s: Sample) => number) => {
    const sorted = samples.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
  return {
    requestsPerSecond: Math.round(median((s) => s.requestsPerSecond)),
    p50: round(median((s) => s.p50), 1),
    p90: round(median((s) => s.p90), 1),
    p99: round(median((s) => s.p99), 1),
    cpuUs: round(median((s) => s.cpuUs), 1),
    rssMiB: round(median((s) => s.rssMiB), 1),
    errors: samples.reduce((n, s) => n + s.errors, 0),
  };
}

function ratio(cpuUs: number, noopUs: number): number {
  return noopUs > 0 ? Math.round((cpuUs / noopUs) * 100) / 100 : 0;
}
