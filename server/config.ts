import { join, resolve } from "node:path";

/** Everything the server reads from its environment. */
export interface KmsConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly rootKeyFile: string;
  /** Served regions; the first is the default for requests without x-kms-region. */
  readonly regions: readonly string[];
  readonly accountId: string;
  readonly partition: string;
  readonly tls?: {
    readonly certFile: string;
    readonly keyFile: string;
    /** CA whose client certificates may authenticate (mutual TLS). */
    readonly clientCaFile?: string;
    /** JSON file mapping a client certificate's subject CN to the IAM user ARN it authenticates as. */
    readonly clientPrincipalsFile?: string;
  };
  readonly logLevel: string;
  /** Serve unary gRPC directly on HTTP/2 streams (the default) rather than through connect-node. */
  readonly grpcFastPath: boolean;
  /** Requests worked on at once; more are refused with ThrottlingException. */
  readonly maxInFlight: number;
  /** How long an HTTP/2 connection may be idle, and an HTTP/1.1 request take, before it is closed. */
  readonly connectionIdleMs: number;
  /** Requests per second per account and region, by family (0: unlimited). */
  readonly quotas: { readonly symmetricPerSecond: number; readonly asymmetricPerSecond: number; readonly controlPerSecond: number };
  /** How often the scheduler looks for due deletions and rotations. */
  readonly schedulerIntervalMs: number;
  /**
   * Principals that are integrated services (principal ARN, or role ARN for its sessions, to
   * service name, e.g. "s3"): their calls carry kms:ViaService "<service>.<region>.amazonaws.com",
   * which AWS managed keys require.
   */
  readonly servicePrincipals: ReadonlyMap<string, string>;
  /** Browser origins allowed by CORS, exactly as browsers send them ("https://app.example.com"); empty: CORS off. */
  readonly corsOrigins: readonly string[];
}

/** The defaults of a fresh installation: loopback only, data in ./data, two regions. */
export const defaults = {
  host: "127.0.0.1",
  port: 8080,
  dataDir: "data",
  regions: "us-east-1,eu-west-1",
  accountId: "111122223333",
  partition: "aws",
  logLevel: "info",
} as const;

const REGION = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

/** Reads and checks the KMS_* variables; a bad value stops the server with a message that names it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): KmsConfig {
  const port = Number(env.KMS_PORT ?? defaults.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`KMS_PORT must be a port number, got ${env.KMS_PORT}`);
  const regions = (env.KMS_REGIONS ?? defaults.regions).split(",").map((r) => r.trim()).filter((r) => r !== "");
  if (regions.length === 0) throw new Error("KMS_REGIONS must name at least one region");
  for (const r of regions) if (!REGION.test(r)) throw new Error(`KMS_REGIONS: ${JSON.stringify(r)} is not a region name like us-east-1`);
  if (new Set(regions).size !== regions.length) throw new Error("KMS_REGIONS names a region twice");
  const accountId = env.KMS_ACCOUNT_ID ?? defaults.accountId;
  if (!/^\d{12}$/.test(accountId)) throw new Error(`KMS_ACCOUNT_ID must be 12 digits, got ${accountId}`);
  const partition = env.KMS_PARTITION ?? defaults.partition;
  if (!/^[a-z][a-z-]*$/.test(partition)) throw new Error(`KMS_PARTITION must be lowercase letters and dashes, got ${partition}`);
  const dataDir = resolve(env.KMS_DATA_DIR ?? defaults.dataDir);
  const certFile = env.KMS_TLS_CERT;
  const keyFile = env.KMS_TLS_KEY;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error("KMS_TLS_CERT and KMS_TLS_KEY go together");
  const clientCaFile = env.KMS_TLS_CLIENT_CA;
  const clientPrincipalsFile = env.KMS_TLS_CLIENT_PRINCIPALS;
  if (clientCaFile !== undefined && certFile === undefined) throw new Error("KMS_TLS_CLIENT_CA needs KMS_TLS_CERT and KMS_TLS_KEY");
  if ((clientCaFile === undefined) !== (clientPrincipalsFile === undefined)) throw new Error("KMS_TLS_CLIENT_CA and KMS_TLS_CLIENT_PRINCIPALS go together");
  return {
    host: env.KMS_HOST ?? defaults.host,
    port,
    dataDir,
    rootKeyFile: resolve(env.KMS_ROOT_KEY_FILE ?? join(dataDir, "root-key")),
    regions,
    accountId,
    partition,
    ...(certFile !== undefined && keyFile !== undefined
      ? { tls: { certFile, keyFile, ...(clientCaFile !== undefined && clientPrincipalsFile !== undefined ? { clientCaFile, clientPrincipalsFile } : {}) } }
      : {}),
    logLevel: env.KMS_LOG_LEVEL ?? defaults.logLevel,
    grpcFastPath: env.KMS_GRPC_FAST_PATH !== "off",
    maxInFlight: positiveInt(env, "KMS_MAX_IN_FLIGHT", 1024, 1),
    connectionIdleMs: positiveInt(env, "KMS_CONNECTION_IDLE_SECONDS", 120, 1) * 1000,
    schedulerIntervalMs: positiveInt(env, "KMS_SCHEDULER_INTERVAL_MS", 60_000, 1),
    servicePrincipals: servicePrincipals(env.KMS_SERVICE_PRINCIPALS),
    corsOrigins: corsOrigins(env.KMS_CORS_ORIGINS),
    quotas: {
      symmetricPerSecond: positiveInt(env, "KMS_QUOTA_SYMMETRIC", 10_000, 0),
      asymmetricPerSecond: positiveInt(env, "KMS_QUOTA_ASYMMETRIC", 1_000, 0),
      controlPerSecond: positiveInt(env, "KMS_QUOTA_CONTROL", 1_000, 0),
    },
  };
}

/** An integer setting with a default and a minimum. */
function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}, got ${text}`);
  return value;
}

/** KMS_SERVICE_PRINCIPALS: a JSON object from principal ARN to service name ("s3", "ebs", ...). */
function servicePrincipals(json: string | undefined): ReadonlyMap<string, string> {
  if (json === undefined || json.trim() === "") return new Map();
  const parsed = JSON.parse(json) as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("KMS_SERVICE_PRINCIPALS must be a JSON object from principal ARN to service name");
  const entries = Object.entries(parsed as Record<string, unknown>);
  for (const [arn, service] of entries) {
    if (!/^arn:[^:]+:iam::\d{12}:(user|role)\/.+$/.test(arn) || typeof service !== "string" || !/^[a-z0-9-]+$/.test(service)) {
      throw new Error(`KMS_SERVICE_PRINCIPALS: ${JSON.stringify(arn)} must be a user or role ARN naming a service such as "s3"`);
    }
  }
  return new Map(entries as Array<[string, string]>);
}

/** KMS_CORS_ORIGINS: comma-separated exact origins (scheme, host, port if not the default); no wildcard. */
function corsOrigins(list: string | undefined): readonly string[] {
  const origins = (list ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || origin.includes("*") || (parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.origin !== origin) {
      throw new Error(`KMS_CORS_ORIGINS: ${JSON.stringify(origin)} is not an exact origin like https://app.example.com (no path, no trailing slash, no wildcard)`);
    }
  }
  return [...new Set(origins)];
}
