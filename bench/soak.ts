import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { IdentityService } from "../gen/kms/v1/identity_service_pb.js";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { EncryptRequestSchema } from "../gen/kms/v1/symmetric_pb.js";
import { residentMiB } from "./process-stats.js";

// `npm run bench:soak`: Encrypt at full load for KMS_SOAK_MINUTES (default 5), sampling the
// server's resident memory every 30 s, to show whether memory grows with requests served.
const minutes = Number(process.env.KMS_SOAK_MINUTES ?? 5);
const root = fileURLToPath(new URL("..", import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), "kms-soak-"));
const server = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
  cwd: root,
  env: { ...process.env, KMS_PORT: "0", KMS_DATA_DIR: dataDir, KMS_QUOTA_SYMMETRIC: "0" },
  stdio: ["ignore", "pipe", "inherit"],
});
const { url, pid } = await new Promise<{ url: string; pid: number }>((resolve) =>
  createInterface({ input: server.stdout! }).on("line", (line) => {
    const entry = JSON.parse(line) as { msg?: string; url?: string; pid?: number };
    if (entry.msg === "listening") resolve({ url: entry.url!, pid: entry.pid! });
  }),
);
try {
  const admin = JSON.parse(await readFile(join(dataDir, "admin-credentials.json"), "utf8")) as { access_key_id: string; secret_access_key: string };
  const token = (await createClient(IdentityService, createGrpcTransport({ baseUrl: url })).login({ accessKeyId: admin.access_key_id, secretAccessKey: admin.secret_access_key })).credentials!.sessionToken;
  const auth: Interceptor = (next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req));
  const keyId = (await createClient(KeyManagementService, createGrpcTransport({ baseUrl: url, interceptors: [auth] })).createKey({})).keyMetadata!.keyId;
  const request = Buffer.from(toBinary(EncryptRequestSchema, create(EncryptRequestSchema, { keyId, plaintext: new Uint8Array(32), encryptionContext: { soak: "1" } }))).toString("base64");
  let served = 0;
  console.log("| minute | requests served | server RSS MiB |\n|---:|---:|---:|");
  console.log(`| 0 | 0 | ${await residentMiB(pid)} |`);
  for (let elapsed = 0; elapsed < minutes * 60_000; elapsed += 30_000) {
    const job = { url, protocol: "grpc", path: "/kms.v1.KeyManagementService/Encrypt", request, token, concurrency: 64, connections: 4, durationMs: 30_000 };
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./load-generator.ts", import.meta.url))], { env: { ...process.env, KMS_BENCH_JOB: JSON.stringify(job) }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await once(child, "exit");
    served += (JSON.parse(out.trim()) as { requests: number }).requests;
    console.log(`| ${(elapsed + 30_000) / 60_000} | ${served} | ${await residentMiB(pid)} |`);
  }
} finally {
  server.kill("SIGTERM");
  await once(server, "exit");
  await rm(dataDir, { recursive: true, force: true });
}
