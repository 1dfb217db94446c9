import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig, type KmsConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { startKmsServer, type KmsServer } from "../../server/server.js";

/** A real server on a loopback port with its own data directory, and the log lines it wrote. */
export interface TestServer extends KmsServer {
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
export async function startTestServer(options: { dataDir?: string; env?: Record<string, string>; logLevel?: string } = {}): Promise<TestServer> {
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
  const server = await startKmsServer(config, { logger: createLogger(config.logLevel, sink) });
  return {
    url: server.url,
    port: server.port,
    close: () => server.close(),
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
