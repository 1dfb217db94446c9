import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuditService } from "../../gen/kms/v1/audit_service_pb.js";
import { IdentityService } from "../../gen/kms/v1/identity_service_pb.js";
import { CALL_DEADLINE_MS } from "./clients.js";
import { loadConfig, type KmsConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { startKmsServer, type KmsServer } from "../../server/server.js";

/** The administrator that a fresh server writes to <data dir>/admin-credentials.json. */
export interface AdminCredentials {
  readonly account_id: string;
  readonly principal_arn: string;
  readonly access_key_id: string;
  readonly secret_access_key: string;
}

/** A real server on a loopback port with its own data directory, and the log lines it wrote. */
export interface TestServer extends KmsServer {
  /** A session token of the administrator, so `kind.connect(server)` calls as the administrator. */
  readonly token: string;
  readonly admin: AdminCredentials;
  readonly dataDir: string;
  readonly config: KmsConfig;
  /** Every log line the server wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** The raw log text, for scans that must not miss anything. */
  rawLogs(): string;
  /** Closes the server and deletes its data directory. */
  destroy(): Promise<void>;
}

/** Makes a fresh data directory under the OS temp dir. */
export function makeDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "kms-test-"));
}

/** Starts a server on 127.0.0.1:0; env overrides the KMS_* defaults. */
export async function startTestServer(options: { dataDir?: string; env?: Record<string, string>; logLevel?: string; clock?: () => number; trustedCaFile?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await makeDataDir());
  const config = loadConfig({ KMS_PORT: "0", KMS_DATA_DIR: dataDir, KMS_LOG_LEVEL: options.logLevel ?? "info", ...options.env });
  let raw = "";
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString("utf8");
      raw += text;
      for (const line of text.split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const server = await startKmsServer(config, { logger: createLogger(config.logLevel, sink), ...(options.clock ? { clock: options.clock } : {}) });
  const admin = JSON.parse(await readFile(join(dataDir, "admin-credentials.json"), "utf8")) as AdminCredentials;
  const ca = config.tls ? await readFile(options.trustedCaFile ?? config.tls.certFile) : undefined;
  const token = await login(server.url, admin.access_key_id, admin.secret_access_key, ca);
  return {
    token,
    admin,
    url: server.url,
    port: server.port,
    close: () => server.close(),
    runScheduledWork: () => server.runScheduledWork(),
    dataDir,
    config,
    logs,
    rawLogs: () => raw,
    async destroy() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A gRPC transport to a server that sends a session token (or none). */
function bearerTransport(url: string, token?: string, ca?: Buffer) {
  return createGrpcTransport({
    baseUrl: url,
    defaultTimeoutMs: CALL_DEADLINE_MS,
    ...(ca ? { nodeOptions: { ca } } : {}),
    interceptors: token === undefined ? [] : [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))],
  });
}

/** The IdentityService of a server, called with a session token (or anonymously). */
export function identityClient(url: string, token?: string, ca?: Buffer) {
  return createClient(IdentityService, bearerTransport(url, token, ca));
}

/** The AuditService of a server, called with a session token. */
export function auditClient(url: string, token: string) {
  return createClient(AuditService, bearerTransport(url, token));
}

/** Logs in with an access key and returns the session token. */
export async function login(url: string, accessKeyId: string, secretAccessKey: string, ca?: Buffer): Promise<string> {
  const { credentials } = await identityClient(url, undefined, ca).login({ accessKeyId, secretAccessKey });
  return credentials!.sessionToken;
}
