import { createHmac, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DecapsulateRequestSchema, EncapsulateRequestSchema, GenerateMacRequestSchema, SignRequestSchema, VerifyRequestSchema } from "../gen/kms/v1/asymmetric_pb.js";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { EncapsulationAlgorithmSpec, KeySpec, KeyUsage, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec } from "../gen/kms/v1/types_pb.js";
import { generateAsymmetricKeyPair } from "../server/crypto/asymmetric/key-generation.js";
import { mlKemDecapsulate, mlKemEncapsulate } from "../server/crypto/asymmetric/ml-kem.js";
import { sign, verify } from "../server/crypto/asymmetric/signing.js";
import { generate, startServer } from "./bench-server.js";
import { measure } from "./measure.js";
import { cpuSeconds } from "./process-stats.js";

// Sign, Verify, GenerateMac, Encapsulate and Decapsulate end to end, one key per spec: the real server (authentication,
// authorization and audit on) driven over gRPC by the load generator in its own process, with
// server CPU per request from /proc; beside each, the raw cost of the same operation in this
// process with the pure core (signing.ts, node's createHmac), measured in the same run, and the
// ratio of the two: what the service adds around the cryptography.
const smoke = process.env.BENCH_SMOKE === "1";
const durationMs = smoke ? 300 : 2000;
const rawMs = smoke ? 50 : 1000;
const concurrency = 16;
const connections = 2;

const signingKeys: ReadonlyArray<{ spec: KeySpec; algorithm: SigningAlgorithmSpec }> = [
  { spec: KeySpec.RSA_2048, algorithm: SigningAlgorithmSpec.RSASSA_PSS_SHA_256 },
  { spec: KeySpec.RSA_3072, algorithm: SigningAlgorithmSpec.RSASSA_PSS_SHA_256 },
  { spec: KeySpec.RSA_4096, algorithm: SigningAlgorithmSpec.RSASSA_PSS_SHA_256 },
  { spec: KeySpec.ECC_NIST_P256, algorithm: SigningAlgorithmSpec.ECDSA_SHA_256 },
  { spec: KeySpec.ECC_NIST_P384, algorithm: SigningAlgorithmSpec.ECDSA_SHA_384 },
  { spec: KeySpec.ECC_NIST_P521, algorithm: SigningAlgorithmSpec.ECDSA_SHA_512 },
  { spec: KeySpec.ECC_SECG_P256K1, algorithm: SigningAlgorithmSpec.ECDSA_SHA_256 },
  { spec: KeySpec.ECC_NIST_EDWARDS25519, algorithm: SigningAlgorithmSpec.ED25519_SHA_512 },
  { spec: KeySpec.ML_DSA_44, algorithm: SigningAlgorithmSpec.ML_DSA_SHAKE_256 },
  { spec: KeySpec.ML_DSA_65, algorithm: SigningAlgorithmSpec.ML_DSA_SHAKE_256 },
  { spec: KeySpec.ML_DSA_87, algorithm: SigningAlgorithmSpec.ML_DSA_SHAKE_256 },
];

const server = await startServer();
try {
  const token = await server.adminSessionToken();
  const auth: Interceptor = (next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req));
  const kms = createClient(KeyManagementService, createGrpcTransport({ baseUrl: server.url, interceptors: [auth] }));
  const message = new Uint8Array(randomBytes(32));
  const bin = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => Buffer.from(toBinary(schema, create(schema, init))).toString("base64");
  const kmsPath = (rpc: string) => `/kms.v1.KeyManagementService/${rpc}`;

  interface Scenario {
    operation: "Sign" | "Verify" | "GenerateMac" | "Encapsulate" | "Decapsulate";
    spec: string;
    path: string;
    request: string;
    raw: () => unknown;
  }
  const scenarios: Scenario[] = [];
  // The raw Sign needs a private key, which the server never gives out: a local pair of the same
  // spec costs the same. The raw Verify checks the server's own signature against its public key.
  const localPairs = await Promise.all(signingKeys.map(({ spec }) => generateAsymmetricKeyPair(spec)));
  for (const [i, { spec, algorithm }] of signingKeys.entries()) {
    const keyId = (await kms.createKey({ description: "benchmark", keyUsage: KeyUsage.SIGN_VERIFY, keySpec: spec })).keyMetadata!.keyId;
    const publicKey = (await kms.getPublicKey({ keyId })).publicKey;
    const signature = (await kms.sign({ keyId, message, messageType: MessageType.RAW, signingAlgorithm: algorithm })).signature;
    await kms.verify({ keyId, message, messageType: MessageType.RAW, signature, signingAlgorithm: algorithm });
    if (!verify(spec, algorithm, publicKey, message, MessageType.RAW, signature)) throw new Error(`the pure core rejects the server's ${KeySpec[spec]} signature`);
    const { privateKey } = localPairs[i]!;
    const name = `${KeySpec[spec]} ${SigningAlgorithmSpec[algorithm]}`;
    scenarios.push(
      {
        operation: "Sign",
        spec: name,
        path: kmsPath("Sign"),
        request: bin(SignRequestSchema, { keyId, message, messageType: MessageType.RAW, signingAlgorithm: algorithm }),
        raw: () => sign(spec, algorithm, privateKey, message, MessageType.RAW),
      },
      {
        operation: "Verify",
        spec: name,
        path: kmsPath("Verify"),
        request: bin(VerifyRequestSchema, { keyId, message, messageType: MessageType.RAW, signature, signingAlgorithm: algorithm }),
        raw: () => verify(spec, algorithm, publicKey, message, MessageType.RAW, signature),
      },
    );
  }
  const macKeyId = (await kms.createKey({ description: "benchmark", keyUsage: KeyUsage.GENERATE_VERIFY_MAC, keySpec: KeySpec.HMAC_256 })).keyMetadata!.keyId;
  await kms.generateMac({ keyId: macKeyId, message, macAlgorithm: MacAlgorithmSpec.HMAC_SHA_256 });
  const macKey = randomBytes(32);
  scenarios.push({
    operation: "GenerateMac",
    spec: `${KeySpec[KeySpec.HMAC_256]} ${MacAlgorithmSpec[MacAlgorithmSpec.HMAC_SHA_256]}`,
    path: kmsPath("GenerateMac"),
    request: bin(GenerateMacRequestSchema, { keyId: macKeyId, message, macAlgorithm: MacAlgorithmSpec.HMAC_SHA_256 }),
    raw: () => createHmac("sha256", macKey).update(message).digest(),
  });

  // ML-KEM: the raw Decapsulate uses a local pair of the same spec, as the raw Sign does.
  for (const spec of [KeySpec.ML_KEM_512, KeySpec.ML_KEM_768, KeySpec.ML_KEM_1024]) {
    const keyId = (await kms.createKey({ description: "benchmark", keyUsage: KeyUsage.ENCAPSULATE_DECAPSULATE, keySpec: spec })).keyMetadata!.keyId;
    const publicKey = (await kms.getPublicKey({ keyId })).publicKey;
    const encapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM;
    const { sharedSecretCiphertextBlob } = await kms.encapsulate({ keyId, encapsulationAlgorithm });
    const local = await generateAsymmetricKeyPair(spec);
    const localCiphertext = mlKemEncapsulate(spec, local.publicKeySpkiDer).ciphertext;
    const name = `${KeySpec[spec]} ML_KEM`;
    scenarios.push(
      { operation: "Encapsulate", spec: name, path: kmsPath("Encapsulate"), request: bin(EncapsulateRequestSchema, { keyId, encapsulationAlgorithm }), raw: () => mlKemEncapsulate(spec, publicKey) },
      {
        operation: "Decapsulate",
        spec: name,
        path: kmsPath("Decapsulate"),
        request: bin(DecapsulateRequestSchema, { keyId, sharedSecretCiphertextBlob, encapsulationAlgorithm }),
        raw: () => mlKemDecapsulate(spec, local.privateKey, localCiphertext),
      },
    );
  }

  const rows: Array<Record<string, string | number>> = [];
  for (const scenario of scenarios) {
    const job = { url: server.url, protocol: "grpc", path: scenario.path, request: scenario.request, concurrency, connections, durationMs, token };
    if (!smoke) await generate({ ...job, durationMs: 500 }); // warm-up
    const cpuBefore = await cpuSeconds(server.pid);
    const result = await generate(job);
    const cpuUs = result.requests === 0 ? 0 : Math.round((((await cpuSeconds(server.pid)) - cpuBefore) / result.requests) * 1e6 * 10) / 10;
    if (result.errors > 0) console.error(`${scenario.operation} ${scenario.spec}: ${result.errors} errors (${result.firstError})`);
    // The server is idle now: the raw cost is measured without competing with it for a CPU.
    const raw = measure(`${scenario.operation} ${scenario.spec}`, scenario.raw, rawMs);
    rows.push({
      operation: scenario.operation,
      spec: scenario.spec,
      requestsPerSecond: Math.round(result.requests / (result.elapsedMs / 1000)),
      p50: result.p50,
      p99: result.p99,
      serverCpuUsPerRequest: cpuUs,
      rawUsPerOp: raw.microsecondsPerOp,
      cpuRatioToRaw: raw.microsecondsPerOp > 0 ? Math.round((cpuUs / raw.microsecondsPerOp) * 100) / 100 : 0,
      errors: result.errors,
    });
  }

  console.log(`\nsign, verify, MAC and ML-KEM end to end over gRPC, ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}, ${concurrency} in flight over ${connections} connections, ${durationMs} ms each; raw = the pure core in process, 32-byte RAW message${smoke ? " (smoke)" : ""}`);
  console.log("| operation | spec | req/s | p50 ms | p99 ms | server CPU us/req | raw us/op | x raw |\n|---|---|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.operation} | ${r.spec} | ${r.requestsPerSecond} | ${r.p50} | ${r.p99} | ${r.serverCpuUsPerRequest} | ${r.rawUsPerOp} | ${r.cpuRatioToRaw} |`);
  if (!smoke) {
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(
      new URL(`./results/asymmetric-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url),
      JSON.stringify({ node: process.version, cpus: cpus().length, concurrency, connections, durationMs, rows }, null, 2),
    );
  }
} finally {
  await server.stop();
}
