import test, { type ExecutionContext } from "ava";
import { execFile } from "node:child_process";
import { constants, createHash, createPublicKey, verify as nodeVerify, type KeyObject } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519ph } from "@noble/curves/ed25519.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { KeySpec, KeyUsage, MessageType, SigningAlgorithmSpec as S } from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, expectFailure, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

/** A copy with one byte inverted (negative index counts from the end). */
function flipByte(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  const i = index < 0 ? copy.length + index : index;
  copy[i] = copy[i]! ^ 0xff;
  return copy;
}

const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");

// ---------------------------------------------------------------------------------------------
// Every signing spec and algorithm.
// ---------------------------------------------------------------------------------------------

type Hash = "sha256" | "sha384" | "sha512";
type Scheme = "pkcs1" | "pss" | "ecdsa" | "ed25519" | "ed25519ph" | "ml-dsa";

interface Case {
  readonly spec: KeySpec;
  readonly algorithm: S;
  readonly scheme: Scheme;
  /** The hash of RAW messages and the DIGEST the algorithm takes; none for pure Ed25519 and ML-DSA. */
  readonly hash?: Hash;
}

const rsaSpecs = [KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096];
const cases: readonly Case[] = [
  ...rsaSpecs.flatMap((spec): Case[] => [
    { spec, algorithm: S.RSASSA_PSS_SHA_256, scheme: "pss", hash: "sha256" },
    { spec, algorithm: S.RSASSA_PSS_SHA_384, scheme: "pss", hash: "sha384" },
    { spec, algorithm: S.RSASSA_PSS_SHA_512, scheme: "pss", hash: "sha512" },
    { spec, algorithm: S.RSASSA_PKCS1_V1_5_SHA_256, scheme: "pkcs1", hash: "sha256" },
    { spec, algorithm: S.RSASSA_PKCS1_V1_5_SHA_384, scheme: "pkcs1", hash: "sha384" },
    { spec, algorithm: S.RSASSA_PKCS1_V1_5_SHA_512, scheme: "pkcs1", hash: "sha512" },
  ]),
  { spec: KeySpec.ECC_NIST_P256, algorithm: S.ECDSA_SHA_256, scheme: "ecdsa", hash: "sha256" },
  { spec: KeySpec.ECC_NIST_P384, algorithm: S.ECDSA_SHA_384, scheme: "ecdsa", hash: "sha384" },
  { spec: KeySpec.ECC_NIST_P521, algorithm: S.ECDSA_SHA_512, scheme: "ecdsa", hash: "sha512" },
  { spec: KeySpec.ECC_SECG_P256K1, algorithm: S.ECDSA_SHA_256, scheme: "ecdsa", hash: "sha256" },
  { spec: KeySpec.ECC_NIST_EDWARDS25519, algorithm: S.ED25519_SHA_512, scheme: "ed25519" },
  { spec: KeySpec.ECC_NIST_EDWARDS25519, algorithm: S.ED25519_PH_SHA_512, scheme: "ed25519ph", hash: "sha512" },
  { spec: KeySpec.ML_DSA_44, algorithm: S.ML_DSA_SHAKE_256, scheme: "ml-dsa" },
  { spec: KeySpec.ML_DSA_65, algorithm: S.ML_DSA_SHAKE_256, scheme: "ml-dsa" },
  { spec: KeySpec.ML_DSA_87, algorithm: S.ML_DSA_SHAKE_256, scheme: "ml-dsa" },
];

const caseName = (c: Case) => `${KeySpec[c.spec]} ${S[c.algorithm]}`;
const takesRaw = (c: Case) => c.scheme !== "ed25519ph";
const takesDigest = (c: Case) => c.hash !== undefined;

const mlDsa = new Map([
  [KeySpec.ML_DSA_44, ml_dsa44],
  [KeySpec.ML_DSA_65, ml_dsa65],
  [KeySpec.ML_DSA_87, ml_dsa87],
]);
const rsaModulusBytes = new Map([
  [KeySpec.RSA_2048, 256],
  [KeySpec.RSA_3072, 384],
  [KeySpec.RSA_4096, 512],
]);

/** A signing key on the server and its public key as GetPublicKey gave it. */
interface SigningKey {
  readonly keyId: string;
  readonly arn: string;
  readonly spki: Buffer;
}

/** Keys shared by the tests: one per spec and usage (RSA-4096 is created once). Made through connect-grpc. */
const keyCache = new Map<string, Promise<SigningKey>>();
function sharedKey(spec: KeySpec, usage: KeyUsage = KeyUsage.SIGN_VERIFY): Promise<SigningKey> {
  const id = `${KeySpec[spec]}/${KeyUsage[usage]}`;
  let key = keyCache.get(id);
  if (!key) {
    keyCache.set(id, (key = newKey(connectGrpc.connect(server), spec, usage)));
    // A key whose creation fails is not cached, so each test reports the failure itself.
    key.catch(() => keyCache.delete(id));
  }
  return key;
}

async function newKey(kms: KmsClient, spec: KeySpec, usage: KeyUsage): Promise<SigningKey> {
  const { keyMetadata } = await kms.createKey({ keySpec: spec, keyUsage: usage, description: `signing test ${KeySpec[spec]}` });
  const keyId = keyMetadata!.keyId;
  const hasPublicKey = usage === KeyUsage.SIGN_VERIFY || usage === KeyUsage.KEY_AGREEMENT || rsaModulusBytes.has(spec);
  const spki = hasPublicKey ? Buffer.from((await kms.getPublicKey({ keyId })).publicKey) : Buffer.alloc(0);
  return { keyId, arn: keyMetadata!.arn, spki };
}

// ---------------------------------------------------------------------------------------------
// Independent verification: the OpenSSL CLI, node:crypto, @noble/curves and @noble/post-quantum.
// ---------------------------------------------------------------------------------------------

interface Workdir {
  write(name: string, data: Uint8Array | string): Promise<string>;
}

async function workdir(t: ExecutionContext): Promise<Workdir> {
  const dir = await mkdtemp(join(tmpdir(), "kms-signing-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let n = 0;
  return { write: async (name, data) => {
    const path = join(dir, `${++n}-${name}`);
    await writeFile(path, data);
    return path;
  } };
}

function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("openssl", args, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const nodeKey = (spki: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
const pem = (spki: Uint8Array): string => nodeKey(spki).export({ format: "pem", type: "spki" }).toString();

/** The raw public key inside an SPKI: Ed25519 through node's JWK export, ML-DSA as the trailing bytes of its fixed-size key. */
function rawPublicKey(c: Case, spki: Buffer): Uint8Array {
  if (c.scheme === "ml-dsa") {
    const size = mlDsa.get(c.spec)!.lengths.publicKey!;
    if (spki.length !== size + 22) throw new Error(`ML-DSA SPKI is ${spki.length} bytes, expected ${size + 22}`);
    return spki.subarray(spki.length - size);
  }
  return Buffer.from(nodeKey(spki).export({ format: "jwk" }).x!, "base64url");
}

const pssSigopts = (flag: string) => [flag, "rsa_padding_mode:pss", flag, "rsa_pss_saltlen:digest"];

function nodeOptions(c: Case, spki: Buffer) {
  const key = nodeKey(spki);
  if (c.scheme === "pss") return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  if (c.scheme === "pkcs1") return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: "der" as const };
}

function quietly(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/**
 * Checks a signature of `message` by parties other than the server, each by name. A signature
 * made over the message's digest is a signature over the message, so both kinds go through here;
 * `digest` adds OpenSSL's check over the digest bytes themselves.
 */
async function thirdPartyChecks(c: Case, spki: Buffer, message: Uint8Array, signature: Uint8Array, work: Workdir): Promise<Record<string, boolean>> {
  switch (c.scheme) {
    case "pkcs1":
    case "pss":
    case "ecdsa": {
      const hash = c.hash!;
      const pub = await work.write("pub.pem", pem(spki));
      const sig = await work.write("sig.bin", signature);
      const msg = await work.write("msg.bin", message);
      const digest = await work.write("digest.bin", createHash(hash).update(message).digest());
      const dgst = await openssl(["dgst", `-${hash}`, "-verify", pub, "-signature", sig, ...(c.scheme === "pss" ? pssSigopts("-sigopt") : []), msg]);
      const pkeyutl = await openssl([
        "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", digest, "-sigfile", sig,
        "-pkeyopt", `digest:${hash}`, ...(c.scheme === "pss" ? pssSigopts("-pkeyopt") : []),
      ]);
      return {
        "openssl dgst over the message": dgst.code === 0 && /Verified OK/.test(dgst.stdout),
        "openssl pkeyutl over the digest": pkeyutl.code === 0 && /Signature Verified Successfully/.test(pkeyutl.stdout),
        "node:crypto over the message": quietly(() => nodeVerify(hash, message, nodeOptions(c, spki), signature)),
      };
    }
    case "ed25519":
      return { "node:crypto Ed25519": quietly(() => nodeVerify(null, message, nodeKey(spki), signature)) };
    case "ed25519ph":
      // @noble/curves' Ed25519ph hashes the message itself (RFC 8032 5.1, empty context).
      return { "@noble/curves ed25519ph": quietly(() => ed25519ph.verify(signature, message, rawPublicKey(c, spki))) };
    case "ml-dsa":
      return { "@noble/post-quantum ML-DSA": quietly(() => mlDsa.get(c.spec)!.verify(signature, message, rawPublicKey(c, spki))) };
  }
}

async function assertThirdPartyVerifies(t: ExecutionContext, c: Case, spki: Buffer, message: Uint8Array, signature: Uint8Array, work: Workdir, what: string) {
  const checks = await thirdPartyChecks(c, spki, message, signature, work);
  t.true(Object.keys(checks).length > 0);
  t.deepEqual(checks, Object.fromEntries(Object.keys(checks).map((k) => [k, true])), `${what}: independent verifiers accept the signature`);
  // The same verifiers reject a tampered signature, so their "true" means something.
  const tampered = await thirdPartyChecks(c, spki, message, flipByte(signature, Math.floor(signature.length / 2)), work);
  t.deepEqual(tampered, Object.fromEntries(Object.keys(tampered).map((k) => [k, false])), `${what}: independent verifiers reject a tampered signature`);
}

/** The length a signature of the case must have; undefined where it varies (ECDSA DER). */
function signatureLength(c: Case): number | undefined {
  if (c.scheme === "pkcs1" || c.scheme === "pss") return rsaModulusBytes.get(c.spec);
  if (c.scheme === "ed25519" || c.scheme === "ed25519ph") return 64;
  if (c.scheme === "ml-dsa") return mlDsa.get(c.spec)!.lengths.signature;
  return undefined;
}

function assertSignatureShape(t: ExecutionContext, c: Case, signature: Uint8Array): void {
  const expected = signatureLength(c);
  if (expected !== undefined) t.is(signature.length, expected, "signature length");
  else t.is(signature[0], 0x30, "an ECDSA signature is a DER SEQUENCE");
}

/** FIPS 204 mu for pure ML-DSA with an empty context: SHAKE256(SHAKE256(pk, 64) || 0 || 0 || M, 64). */
function externalMu(rawKey: Uint8Array, message: Uint8Array): Buffer {
  const tr = createHash("shake256", { outputLength: 64 }).update(rawKey).digest();
  return createHash("shake256", { outputLength: 64 }).update(tr).update(Uint8Array.of(0, 0)).update(message).digest();
}

/** Verify through the server must be valid, and refuse a tampered or truncated signature and another message. */
async function assertServerVerify(
  t: ExecutionContext,
  kms: KmsClient,
  c: Case,
  key: SigningKey,
  message: Uint8Array,
  messageType: MessageType,
  signature: Uint8Array,
  what: string,
): Promise<void> {
  const ok = await kms.verify({ keyId: key.keyId, message, messageType, signature, signingAlgorithm: c.algorithm });
  t.true(ok.signatureValid, `${what}: Verify says valid`);
  t.is(ok.keyId, key.arn, `${what}: Verify answers with the key ARN`);
  t.is(ok.signingAlgorithm, c.algorithm, `${what}: Verify echoes the algorithm`);
  const request = { keyId: key.keyId, message, messageType, signature, signingAlgorithm: c.algorithm };
  await expectFailure(t, kms.verify({ ...request, signature: flipByte(signature, Math.floor(signature.length / 2)) }), "KMSInvalidSignatureException", `${what}: tampered signature`);
  await expectFailure(t, kms.verify({ ...request, signature: flipByte(signature, -1) }), "KMSInvalidSignatureException", `${what}: last byte tampered`);
  await expectFailure(t, kms.verify({ ...request, signature: signature.subarray(0, signature.length - 1) }), "KMSInvalidSignatureException", `${what}: truncated signature`);
  await expectFailure(t, kms.verify({ ...request, message: flipByte(message, 0) }), "KMSInvalidSignatureException", `${what}: another message`);
}

for (const c of cases) {
  if (takesRaw(c)) {
    test(`${caseName(c)}: a RAW signature verifies independently and through Verify; tampering is KMSInvalidSignatureException`, async (t) => {
      const kms = connectGrpc.connect(server);
      const key = await sharedKey(c.spec);
      const work = await workdir(t);
      const message = utf8(`RAW message for ${caseName(c)}: the quick brown fox`);
      const signed = await kms.sign({ keyId: key.keyId, message, messageType: MessageType.RAW, signingAlgorithm: c.algorithm });
      t.is(signed.keyId, key.arn, "Sign answers with the key ARN");
      t.is(signed.signingAlgorithm, c.algorithm, "Sign echoes the algorithm");
      assertSignatureShape(t, c, signed.signature);
      await assertThirdPartyVerifies(t, c, key.spki, message, signed.signature, work, "RAW");
      await assertServerVerify(t, kms, c, key, message, MessageType.RAW, signed.signature, "RAW");
      if (takesDigest(c)) {
        // A signature over the message is one over its digest.
        const digest = createHash(c.hash!).update(message).digest();
        const asDigest = await kms.verify({ keyId: key.keyId, message: digest, messageType: MessageType.DIGEST, signature: signed.signature, signingAlgorithm: c.algorithm });
        t.true(asDigest.signatureValid, "the RAW signature verifies as a signature of the DIGEST");
      }
    });
  }

  if (takesDigest(c)) {
    test(`${caseName(c)}: a DIGEST signature verifies independently and through Verify; tampering is KMSInvalidSignatureException`, async (t) => {
      const kms = connectGrpc.connect(server);
      const key = await sharedKey(c.spec);
      const work = await workdir(t);
      const message = utf8(`DIGEST message for ${caseName(c)}: jumps over the lazy dog`);
      const digest = createHash(c.hash!).update(message).digest();
      const signed = await kms.sign({ keyId: key.keyId, message: digest, messageType: MessageType.DIGEST, signingAlgorithm: c.algorithm });
      t.is(signed.keyId, key.arn);
      t.is(signed.signingAlgorithm, c.algorithm);
      assertSignatureShape(t, c, signed.signature);
      await assertThirdPartyVerifies(t, c, key.spki, message, signed.signature, work, "DIGEST");
      await assertServerVerify(t, kms, c, key, digest, MessageType.DIGEST, signed.signature, "DIGEST");
      if (takesRaw(c)) {
        const asRaw = await kms.verify({ keyId: key.keyId, message, messageType: MessageType.RAW, signature: signed.signature, signingAlgorithm: c.algorithm });
        t.true(asRaw.signatureValid, "the DIGEST signature verifies as a signature of the RAW message");
      }
    });
  }

  if (c.scheme === "ml-dsa") {
    test(`${caseName(c)}: an EXTERNAL_MU signature is a signature of the message (mu computed here)`, async (t) => {
      const kms = connectGrpc.connect(server);
      const key = await sharedKey(c.spec);
      const message = utf8(`EXTERNAL_MU message for ${caseName(c)}`);
      const mu = externalMu(rawPublicKey(c, key.spki), message);
      const overMu = await kms.sign({ keyId: key.keyId, message: mu, messageType: MessageType.EXTERNAL_MU, signingAlgorithm: c.algorithm });
      assertSignatureShape(t, c, overMu.signature);
      t.is(overMu.keyId, key.arn);
      const dsa = mlDsa.get(c.spec)!;
      t.true(dsa.verify(overMu.signature, message, rawPublicKey(c, key.spki)), "@noble/post-quantum verifies it over the message");
      t.false(dsa.verify(overMu.signature, flipByte(message, 0), rawPublicKey(c, key.spki)), "and not over another message");
      await assertServerVerify(t, kms, c, key, mu, MessageType.EXTERNAL_MU, overMu.signature, "EXTERNAL_MU");
      const asRaw = await kms.verify({ keyId: key.keyId, message, messageType: MessageType.RAW, signature: overMu.signature, signingAlgorithm: c.algorithm });
      t.true(asRaw.signatureValid, "Verify RAW of the message accepts the signature over mu");
      const overRaw = await kms.sign({ keyId: key.keyId, message, messageType: MessageType.RAW, signingAlgorithm: c.algorithm });
      const rawAsMu = await kms.verify({ keyId: key.keyId, message: mu, messageType: MessageType.EXTERNAL_MU, signature: overRaw.signature, signingAlgorithm: c.algorithm });
      t.true(rawAsMu.signatureValid, "Verify EXTERNAL_MU accepts the signature over the RAW message");
    });
  }
}

test("a RAW message of exactly 4096 bytes is signed; message_type UNSPECIFIED means RAW", async (t) => {
  const kms = connectGrpc.connect(server);
  const c = cases.find((x) => x.spec === KeySpec.ECC_NIST_P256)!;
  const key = await sharedKey(c.spec);
  const work = await workdir(t);
  const message = Buffer.alloc(4096, 0x61);
  const signed = await kms.sign({ keyId: key.keyId, message, signingAlgorithm: c.algorithm });
  await assertThirdPartyVerifies(t, c, key.spki, message, signed.signature, work, "4096 bytes, type unspecified");
  t.true((await kms.verify({ keyId: key.keyId, message, signature: signed.signature, signingAlgorithm: c.algorithm })).signatureValid);
  t.true((await kms.verify({ keyId: key.keyId, message, messageType: MessageType.RAW, signature: signed.signature, signingAlgorithm: c.algorithm })).signatureValid);
});

test("Verify refuses a signature made by another key of the same spec", async (t) => {
  const kms = connectGrpc.connect(server);
  const key = await sharedKey(KeySpec.ECC_NIST_EDWARDS25519);
  const other = await newKey(kms, KeySpec.ECC_NIST_EDWARDS25519, KeyUsage.SIGN_VERIFY);
  const message = utf8("signed by the other key");
  const { signature } = await kms.sign({ keyId: other.keyId, message, signingAlgorithm: S.ED25519_SHA_512 });
  t.true((await kms.verify({ keyId: other.keyId, message, signature, signingAlgorithm: S.ED25519_SHA_512 })).signatureValid);
  await expectFailure(t, kms.verify({ keyId: key.keyId, message, signature, signingAlgorithm: S.ED25519_SHA_512 }), "KMSInvalidSignatureException");
});

// ---------------------------------------------------------------------------------------------
// Through every client: a round trip and the refusals.
// ---------------------------------------------------------------------------------------------

/** One case per client for the round trip, so each client carries a different signature shape. */
const roundTrip: ReadonlyMap<string, Case> = new Map([
  ["connect-grpc", cases.find((c) => c.spec === KeySpec.RSA_2048 && c.algorithm === S.RSASSA_PSS_SHA_256)!],
  ["connect-http1", cases.find((c) => c.spec === KeySpec.ECC_NIST_P384)!],
  ["grpc-js", cases.find((c) => c.spec === KeySpec.ML_DSA_65)!],
]);

for (const kind of allClients) {
  const title = (s: string) => `${kind.name}: ${s}`;

  test(title("Sign and Verify round trip, verified independently"), async (t) => {
    const kms = kind.connect(server);
    const c = roundTrip.get(kind.name) ?? cases[0]!;
    const key = await sharedKey(c.spec);
    const work = await workdir(t);
    const message = utf8(`${kind.name} round trip`);
    const signed = await kms.sign({ keyId: key.keyId, message, messageType: MessageType.RAW, signingAlgorithm: c.algorithm });
    t.is(signed.keyId, key.arn);
    t.is(signed.signingAlgorithm, c.algorithm);
    assertSignatureShape(t, c, signed.signature);
    await assertThirdPartyVerifies(t, c, key.spki, message, signed.signature, work, caseName(c));
    await assertServerVerify(t, kms, c, key, message, MessageType.RAW, signed.signature, caseName(c));
  });

  test(title("Sign and Verify with a key whose usage is not SIGN_VERIFY are InvalidKeyUsageException"), async (t) => {
    const kms = kind.connect(server);
    const symmetric = (await kms.createKey({})).keyMetadata!.keyId;
    const wrongUsage: Array<[string, string, S]> = [
      ["symmetric key", symmetric, S.ECDSA_SHA_256],
      ["symmetric key, RSA algorithm", symmetric, S.RSASSA_PSS_SHA_256],
      ["RSA ENCRYPT_DECRYPT key", (await sharedKey(KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT)).keyId, S.RSASSA_PSS_SHA_256],
      ["RSA ENCRYPT_DECRYPT key, PKCS#1", (await sharedKey(KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT)).keyId, S.RSASSA_PKCS1_V1_5_SHA_256],
      ["HMAC key", (await sharedKey(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC)).keyId, S.ECDSA_SHA_256],
      ["ECC KEY_AGREEMENT key", (await sharedKey(KeySpec.ECC_NIST_P256, KeyUsage.KEY_AGREEMENT)).keyId, S.ECDSA_SHA_256],
    ];
    const message = utf8("not for signing");
    for (const [what, keyId, signingAlgorithm] of wrongUsage) {
      await expectFailure(t, kms.sign({ keyId, message, signingAlgorithm }), "InvalidKeyUsageException", `Sign, ${what}`);
      await expectFailure(t, kms.verify({ keyId, message, signingAlgorithm, signature: new Uint8Array(64).fill(1) }), "InvalidKeyUsageException", `Verify, ${what}`);
    }
  });

  test(title("an algorithm the key spec does not have is InvalidKeyUsageException"), async (t) => {
    const kms = kind.connect(server);
    const mismatches: Array<[KeySpec, S]> = [
      [KeySpec.ECC_NIST_P256, S.ECDSA_SHA_384],
      [KeySpec.ECC_NIST_P256, S.RSASSA_PSS_SHA_256],
      [KeySpec.ECC_NIST_P384, S.RSASSA_PKCS1_V1_5_SHA_384],
      [KeySpec.ECC_SECG_P256K1, S.ECDSA_SHA_512],
      [KeySpec.RSA_2048, S.ECDSA_SHA_256],
      [KeySpec.ECC_NIST_EDWARDS25519, S.ECDSA_SHA_512],
      [KeySpec.ML_DSA_44, S.ED25519_SHA_512],
      [KeySpec.ECC_NIST_P256, S.ML_DSA_SHAKE_256],
      [KeySpec.ECC_NIST_P256, S.SM2DSA],
    ];
    const message = utf8("wrong algorithm");
    for (const [spec, signingAlgorithm] of mismatches) {
      const what = `${KeySpec[spec]} with ${S[signingAlgorithm]}`;
      const { keyId } = await sharedKey(spec);
      await expectFailure(t, kms.sign({ keyId, message, signingAlgorithm }), "InvalidKeyUsageException", `Sign, ${what}`);
      await expectFailure(t, kms.verify({ keyId, message, signingAlgorithm, signature: new Uint8Array(64).fill(1) }), "InvalidKeyUsageException", `Verify, ${what}`);
    }
  });

  test(title("signing_algorithm UNSPECIFIED is ValidationException"), async (t) => {
    const kms = kind.connect(server);
    for (const spec of [KeySpec.ECC_NIST_P256, KeySpec.RSA_2048]) {
      const { keyId } = await sharedKey(spec);
      await expectFailure(t, kms.sign({ keyId, message: utf8("m") }), "ValidationException", `Sign, ${KeySpec[spec]}`);
      await expectFailure(t, kms.sign({ keyId, message: utf8("m"), signingAlgorithm: S.UNSPECIFIED }), "ValidationException", `Sign explicit, ${KeySpec[spec]}`);
      await expectFailure(t, kms.verify({ keyId, message: utf8("m"), signature: new Uint8Array(64).fill(1) }), "ValidationException", `Verify, ${KeySpec[spec]}`);
    }
  });

  test(title("messages of the wrong size are ValidationException"), async (t) => {
    const kms = kind.connect(server);
    const p256 = (await sharedKey(KeySpec.ECC_NIST_P256)).keyId;
    const p384 = (await sharedKey(KeySpec.ECC_NIST_P384)).keyId;
    const rsa = (await sharedKey(KeySpec.RSA_2048)).keyId;
    const signature = new Uint8Array(64).fill(1);
    const tooLong: Array<[string, string, Uint8Array, MessageType, S]> = [
      ["RAW of 4097 bytes", p256, new Uint8Array(4097).fill(7), MessageType.RAW, S.ECDSA_SHA_256],
      ["RAW of 4097 bytes, type unspecified", rsa, new Uint8Array(4097).fill(7), MessageType.UNSPECIFIED, S.RSASSA_PSS_SHA_256],
      ["empty RAW message", p256, new Uint8Array(0), MessageType.RAW, S.ECDSA_SHA_256],
      ["empty message, type unspecified", rsa, new Uint8Array(0), MessageType.UNSPECIFIED, S.RSASSA_PKCS1_V1_5_SHA_256],
      ["empty DIGEST", p256, new Uint8Array(0), MessageType.DIGEST, S.ECDSA_SHA_256],
      ["DIGEST of 31 bytes for SHA-256", p256, new Uint8Array(31).fill(7), MessageType.DIGEST, S.ECDSA_SHA_256],
      ["DIGEST of 33 bytes for SHA-256", p256, new Uint8Array(33).fill(7), MessageType.DIGEST, S.ECDSA_SHA_256],
      ["SHA-256-sized DIGEST for ECDSA_SHA_384", p384, new Uint8Array(32).fill(7), MessageType.DIGEST, S.ECDSA_SHA_384],
      ["SHA-256-sized DIGEST for PSS SHA-512", rsa, new Uint8Array(32).fill(7), MessageType.DIGEST, S.RSASSA_PSS_SHA_512],
      ["SHA-512-sized DIGEST for PKCS#1 SHA-384", rsa, new Uint8Array(64).fill(7), MessageType.DIGEST, S.RSASSA_PKCS1_V1_5_SHA_384],
    ];
    for (const [what, keyId, message, messageType, signingAlgorithm] of tooLong) {
      await expectFailure(t, kms.sign({ keyId, message, messageType, signingAlgorithm }), "ValidationException", `Sign, ${what}`);
      await expectFailure(t, kms.verify({ keyId, message, messageType, signingAlgorithm, signature }), "ValidationException", `Verify, ${what}`);
    }
  });

  test(title("a message type the algorithm does not take is ValidationException"), async (t) => {
    const kms = kind.connect(server);
    const ed = (await sharedKey(KeySpec.ECC_NIST_EDWARDS25519)).keyId;
    const ml = (await sharedKey(KeySpec.ML_DSA_44)).keyId;
    const p256 = (await sharedKey(KeySpec.ECC_NIST_P256)).keyId;
    const wrongType: Array<[string, string, Uint8Array, MessageType, S]> = [
      ["ED25519_SHA_512 with a DIGEST", ed, new Uint8Array(64).fill(3), MessageType.DIGEST, S.ED25519_SHA_512],
      ["ED25519_PH_SHA_512 with a RAW message", ed, utf8("raw"), MessageType.RAW, S.ED25519_PH_SHA_512],
      ["ED25519_PH_SHA_512 with a 64-byte RAW message", ed, new Uint8Array(64).fill(3), MessageType.RAW, S.ED25519_PH_SHA_512],
      ["ED25519_PH_SHA_512 with a 32-byte DIGEST", ed, new Uint8Array(32).fill(3), MessageType.DIGEST, S.ED25519_PH_SHA_512],
      ["ML_DSA_SHAKE_256 with a DIGEST", ml, new Uint8Array(64).fill(3), MessageType.DIGEST, S.ML_DSA_SHAKE_256],
      ["ML_DSA_SHAKE_256 with a 32-byte EXTERNAL_MU", ml, new Uint8Array(32).fill(3), MessageType.EXTERNAL_MU, S.ML_DSA_SHAKE_256],
      ["ML_DSA_SHAKE_256 with a 65-byte EXTERNAL_MU", ml, new Uint8Array(65).fill(3), MessageType.EXTERNAL_MU, S.ML_DSA_SHAKE_256],
      ["ECDSA_SHA_256 with an EXTERNAL_MU", p256, new Uint8Array(64).fill(3), MessageType.EXTERNAL_MU, S.ECDSA_SHA_256],
    ];
    for (const [what, keyId, message, messageType, signingAlgorithm] of wrongType) {
      await expectFailure(t, kms.sign({ keyId, message, messageType, signingAlgorithm }), "ValidationException", `Sign, ${what}`);
      await expectFailure(t, kms.verify({ keyId, message, messageType, signingAlgorithm, signature: new Uint8Array(64).fill(1) }), "ValidationException", `Verify, ${what}`);
    }
  });

  test(title("Sign and Verify with a disabled key are DisabledException, and work again once enabled"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY);
    const message = utf8("disabled");
    const { signature } = await kms.sign({ keyId: key.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 });
    await kms.disableKey({ keyId: key.keyId });
    await expectFailure(t, kms.sign({ keyId: key.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 }), "DisabledException", "Sign");
    await expectFailure(t, kms.verify({ keyId: key.keyId, message, signature, signingAlgorithm: S.ECDSA_SHA_256 }), "DisabledException", "Verify");
    await kms.enableKey({ keyId: key.keyId });
    t.true((await kms.verify({ keyId: key.keyId, message, signature, signingAlgorithm: S.ECDSA_SHA_256 })).signatureValid);
    await t.notThrowsAsync(kms.sign({ keyId: key.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 }));
  });
}
