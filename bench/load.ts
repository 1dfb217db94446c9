import { spawn } from "node:child_process";
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
import { generate, startServer } from "./bench-server.js";
import { cpuSeconds, residentMiB } from "./process-stats.js";

// The end-to-end benchmark: the real server (authentication, authorization and audit on, as in
// production) in its own process, driven by a load generator in another, with 64 calls in flight
// over 4 HTTP/2 connections. Server CPU per request comes from /proc; every figure is also given
// as a ratio to the no-op health Check on the same transport, measured in the same run.
const smoke = process.env.BENCH_SMOKE === "1";
const durationMs = smoke ? 300 : 5000;
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

  const rows: Array<Record<string, string | number>> = [];
  // A freshly started server is still compiling its hot paths and collecting start-up garbage:
  // warm the whole of it before the first row (the no-op, which every ratio divides by).
  if (!smoke) {
    for (const scenario of [scenarios[1]!, scenarios[0]!]) {
      await generate({ url: listening.url, protocol: "grpc", path: scenario.path, request: scenario.request, concurrency, connections, durationMs: 2000, ...(scenario.authenticated ? { token } : {}) });
    }
  }
  for (const protocol of ["grpc", "connect"] as const) {
    let noopCpu = 0;
    for (const scenario of scenarios) {
      const job = { url: listening.url, protocol, path: scenario.path, request: scenario.request, concurrency: scenario.concurrency ?? concurrency, connections, durationMs, ...(scenario.authenticated ? { token } : {}) };
      if (!smoke) await generate({ ...job, durationMs: 500 }); // warm-up
      const cpuBefore = await cpuSeconds(listening.pid);
      const result = await generate(job);
      const cpuUs = result.requests === 0 ? 0 : Math.round((((await cpuSeconds(listening.pid)) - cpuBefore) / result.requests) * 1e6 * 10) / 10;
      if (scenario.path.includes("Health")) noopCpu = cpuUs;
      if (result.errors > 0) console.error(`${protocol} ${scenario.name}: ${result.errors} errors (${result.firstError})`);
      rows.push({
        protocol,
        operation: scenario.name,
        requestsPerSecond: Math.round(result.requests / (result.elapsedMs / 1000)),
        p50: result.p50,
        p90: result.p90,
        p99: result.p99,
        serverCpuUsPerRequest: cpuUs,
        cpuRatioToNoop: noopCpu > 0 ? Math.round((cpuUs / noopCpu) * 100) / 100 : 0,
        serverRssMiB: await residentMiB(listening.pid),
        errors: result.errors,
      });
    }
  }

  // The reference: a bare @grpc/grpc-js server's no-op, measured the same way in the same run.
  const reference = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./grpc-js-noop-server.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const { port, pid } = await new Promise<{ port: number; pid: number }>((resolve) => createInterface({ input: reference.stdout! }).once("line", (l) => resolve(JSON.parse(l) as never)));
    const job = { url: `http://127.0.0.1:${port}`, protocol: "grpc", path: "/grpc.health.v1.Health/Check", request: "", concurrency, connections, durationMs };
    if (!smoke) await generate({ ...job, durationMs: 500 });
    const cpuBefore = await cpuSeconds(pid);
    const result = await generate(job);
    const cpuUs = result.requests === 0 ? 0 : Math.round((((await cpuSeconds(pid)) - cpuBefore) / result.requests) * 1e6 * 10) / 10;
    const ours = rows.find((r) => r.protocol === "grpc" && String(r.operation).startsWith("no-op"))!;
    rows.push({
      protocol: "grpc",
      operation: "reference: @grpc/grpc-js server no-op",
      requestsPerSecond: Math.round(result.requests / (result.elapsedMs / 1000)),
      p50: result.p50,
      p90: result.p90,
      p99: result.p99,
      serverCpuUsPerRequest: cpuUs,
      cpuRatioToNoop: cpuUs > 0 ? Math.round((cpuUs / Number(ours.serverCpuUsPerRequest)) * 100) / 100 : 0,
      serverRssMiB: await residentMiB(pid),
      errors: result.errors,
    });
  } finally {
    reference.kill();
  }

  console.log(`\nend to end, ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}, ${concurrency} in flight over ${connections} connections, ${durationMs} ms each${smoke ? " (smoke)" : ""}`);
  console.log("| protocol | operation | req/s | p50 ms | p90 ms | p99 ms | server CPU us/req | x no-op CPU | server RSS MiB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.protocol} | ${r.operation} | ${r.requestsPerSecond} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.serverCpuUsPerRequest} | ${r.cpuRatioToNoop} | ${r.serverRssMiB} |`);
  if (!smoke) {
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(new URL(`./results/load-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url), JSON.stringify({ node: process.version, cpus: cpus().length, rows }, null, 2));
  }
} finally {
  await listening.stop();
}
