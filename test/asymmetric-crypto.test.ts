import test, { type ExecutionContext } from "ava";
import { execFile } from "node:child_process";
import { createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DataKeyPairSpec,
  EncryptionAlgorithmSpec as E,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  MacAlgorithmSpec as M,
  MessageType,
  SigningAlgorithmSpec as S,
} from "../gen/kms/v1/types_pb.js";
import { generateDataKeyPair } from "../server/crypto/asymmetric/data-key-pair.js";
import { deriveSharedSecret } from "../server/crypto/asymmetric/ecdh.js";
import { generateMac, verifyMac } from "../server/crypto/asymmetric/hmac.js";
import { derivePublicKey, generateAsymmetricKeyPair, generateHmacKey, type AsymmetricKeyPair } from "../server/crypto/asymmetric/key-generation.js";
import { importPrivateKey } from "../server/crypto/asymmetric/key-objects.js";
import { mlDsaKeyPairFromSeed } from "../server/crypto/asymmetric/ml-dsa.js";
import { decryptRsaOaep, encryptRsaOaep } from "../server/crypto/asymmetric/rsa-oaep.js";
import { digestFor, sign, verify } from "../server/crypto/asymmetric/signing.js";
import { rsaOaepMaxPlaintextBytes, supportedDataKeyPairSpecs } from "../server/domain/key-specs.js";
import type { ExceptionName } from "../server/errors/catalog.js";
import { KmsError } from "../server/errors/kms-error.js";

const hex = (s: string): Buffer => Buffer.from(s, "hex");
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A copy of bytes with bit 0 of byte `index` inverted (negative index counts from the end). */
function flipBit(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  const i = index < 0 ? copy.length + index : index;
  copy[i] = copy[i]! ^ 1;
  return copy;
}

function throwsKms(t: ExecutionContext, fn: () => unknown, exception: ExceptionName, message?: RegExp): void {
  const error = t.throws(fn, { instanceOf: KmsError });
  t.is(error?.exception, exception);
  if (message) t.regex(error?.message ?? "", message);
}

// ---------------------------------------------------------------------------------------------
// Keys are generated once per spec and shared: RSA-4096 takes about a second.
// ---------------------------------------------------------------------------------------------

const keyCache = new Map<KeySpec, Promise<AsymmetricKeyPair>>();
function keyPair(spec: KeySpec): Promise<AsymmetricKeyPair> {
  let pair = keyCache.get(spec);
  if (!pair) keyCache.set(spec, (pair = generateAsymmetricKeyPair(spec)));
  return pair;
}

// ---------------------------------------------------------------------------------------------
// OpenSSL CLI as the independent party. Inputs go through files in a per-test temp dir.
// ---------------------------------------------------------------------------------------------

interface Workdir {
  path(name: string): string;
  write(name: string, data: Uint8Array | string): Promise<string>;
}

async function workdir(t: ExecutionContext): Promise<Workdir> {
  const dir = await mkdtemp(join(tmpdir(), "kms-asym-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = (name: string) => join(dir, name);
  return { path, write: async (name, data) => (await writeFile(path(name), data), path(name)) };
}

function openssl(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile("openssl", args, { encoding: "buffer" }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr: stderr.toString() });
    });
  });
}

const publicPem = (spki: Uint8Array) => createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }).export({ format: "pem", type: "spki" });
const privatePem = (pkcs8: Uint8Array) => createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" });

// ---------------------------------------------------------------------------------------------
// Key generation does not block the event loop. Serial: ava runs serial tests first and alone,
// so no other test's synchronous work shows up as a gap here.
// ---------------------------------------------------------------------------------------------

test.serial("RSA-4096 generation leaves the event loop free (a 10 ms timer keeps ticking)", async (t) => {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const started = performance.now();
  const pair = await generateAsymmetricKeyPair(KeySpec.RSA_4096);
  const elapsed = performance.now() - started;
  clearInterval(timer);
  keyCache.set(KeySpec.RSA_4096, Promise.resolve(pair));
  t.log(`RSA-4096 generated in ${elapsed.toFixed(0)} ms; ${ticks} ticks, longest gap ${maxGap.toFixed(1)} ms`);
  t.true(ticks > 0);
  // Synchronous generation would make the longest gap the whole generation time.
  t.true(maxGap < Math.max(100, elapsed / 4), `longest gap ${maxGap.toFixed(1)} ms of ${elapsed.toFixed(0)} ms`);
});

// ---------------------------------------------------------------------------------------------
// Key generation and stored formats.
// ---------------------------------------------------------------------------------------------

test("generated keys are PKCS#8 / SPKI of the spec, and the public key derives from the private one", async (t) => {
  const specs = [KeySpec.RSA_2048, KeySpec.ECC_NIST_P256, KeySpec.ECC_NIST_P384, KeySpec.ECC_NIST_P521, KeySpec.ECC_SECG_P256K1, KeySpec.ECC_NIST_EDWARDS25519];
  for (const spec of specs) {
    const pair = await keyPair(spec);
    t.notThrows(() => importPrivateKey(spec, pair.privateKey), KeySpec[spec]);
    t.deepEqual(derivePublicKey(spec, pair.privateKey), pair.publicKeySpkiDer, KeySpec[spec]);
  }
  // A key of another curve is refused as a server fault, not used.
  const p256 = await keyPair(KeySpec.ECC_NIST_P256);
  t.throws(() => importPrivateKey(KeySpec.ECC_NIST_P384, p256.privateKey), { message: /not a ECC_NIST_P384 key/ });
  const rsa2048 = await keyPair(KeySpec.RSA_2048);
  t.throws(() => importPrivateKey(KeySpec.RSA_3072, rsa2048.privateKey), { message: /not a RSA_3072 key/ });
});

test("HMAC keys have the spec's length and are random", (t) => {
  t.deepEqual(
    [KeySpec.HMAC_224, KeySpec.HMAC_256, KeySpec.HMAC_384, KeySpec.HMAC_512].map((s) => generateHmacKey(s).length),
    [28, 32, 48, 64],
  );
  t.notDeepEqual(generateHmacKey(KeySpec.HMAC_256), generateHmacKey(KeySpec.HMAC_256));
  t.throws(() => generateHmacKey(KeySpec.RSA_2048), { instanceOf: TypeError });
});

// ---------------------------------------------------------------------------------------------
// RSA and ECDSA signatures, checked by OpenSSL in both directions and for both message types.
// ---------------------------------------------------------------------------------------------

const rsaSigning = [S.RSASSA_PKCS1_V1_5_SHA_256, S.RSASSA_PKCS1_V1_5_SHA_384, S.RSASSA_PKCS1_V1_5_SHA_512, S.RSASSA_PSS_SHA_256, S.RSASSA_PSS_SHA_384, S.RSASSA_PSS_SHA_512];
const signingCases: [KeySpec, S][] = [
  ...[KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096].flatMap((spec) => rsaSigning.map((a): [KeySpec, S] => [spec, a])),
  [KeySpec.ECC_NIST_P256, S.ECDSA_SHA_256],
  [KeySpec.ECC_NIST_P384, S.ECDSA_SHA_384],
  [KeySpec.ECC_NIST_P521, S.ECDSA_SHA_512],
  [KeySpec.ECC_SECG_P256K1, S.ECDSA_SHA_256],
];

/** OpenSSL options for an algorithm: the hash name and, for PSS, salt = hash length (MGF1 defaults to the same hash). */
function opensslSigningOptions(algorithm: S, flag: "-sigopt" | "-pkeyopt"): { md: string; options: string[] } {
  const md = /SHA_(\d+)$/.exec(S[algorithm])![1]!;
  const pss = S[algorithm].startsWith("RSASSA_PSS");
  const rsa = S[algorithm].startsWith("RSASSA");
  const options = [
    ...(flag === "-pkeyopt" && rsa ? [flag, `digest:sha${md}`] : []),
    ...(pss ? [flag, "rsa_padding_mode:pss", flag, "rsa_pss_saltlen:digest"] : []),
  ];
  return { md: `sha${md}`, options };
}

for (const [spec, algorithm] of signingCases) {
  test(`${KeySpec[spec]} ${S[algorithm]}: OpenSSL verifies our RAW and DIGEST signatures, we verify OpenSSL's`, async (t) => {
    const { privateKey, publicKeySpkiDer } = await keyPair(spec);
    const dir = await workdir(t);
    const message = Buffer.from(`message for ${KeySpec[spec]} ${S[algorithm]}: ${"x".repeat(200)}`);
    const digest = digestFor(algorithm, message);
    const pub = await dir.write("pub.pem", publicPem(publicKeySpkiDer));
    const msgFile = await dir.write("msg.bin", message);
    const digestFile = await dir.write("digest.bin", digest);

    // RAW: OpenSSL hashes the message itself.
    const raw = sign(spec, algorithm, privateKey, message, MessageType.RAW);
    t.true(verify(spec, algorithm, publicKeySpkiDer, message, MessageType.RAW, raw));
    const dgst = opensslSigningOptions(algorithm, "-sigopt");
    const rawCheck = await openssl(["dgst", `-${dgst.md}`, "-verify", pub, "-signature", await dir.write("raw.sig", raw), ...dgst.options, msgFile]);
    t.is(rawCheck.code, 0, rawCheck.stderr);

    // DIGEST: signed as is; OpenSSL's pkeyutl verifies over the digest, and it is the same signature scheme as RAW.
    const overDigest = sign(spec, algorithm, privateKey, digest, MessageType.DIGEST);
    const pkey = opensslSigningOptions(algorithm, "-pkeyopt");
    const digestCheck = await openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", digestFile, "-sigfile", await dir.write("digest.sig", overDigest), ...pkey.options]);
    t.is(digestCheck.code, 0, digestCheck.stderr + digestCheck.stdout.toString());
    t.true(verify(spec, algorithm, publicKeySpkiDer, digest, MessageType.DIGEST, overDigest));
    t.true(verify(spec, algorithm, publicKeySpkiDer, message, MessageType.RAW, overDigest));
    t.true(verify(spec, algorithm, publicKeySpkiDer, digest, MessageType.DIGEST, raw));
    // PKCS#1 v1.5 is deterministic, so both paths give the very same bytes.
    if (S[algorithm].startsWith("RSASSA_PKCS1")) t.deepEqual(overDigest, raw);

    // OpenSSL signs the digest with our private key; we verify it both ways (checks our PSS decoding against OpenSSL's encoder).
    const theirs = await openssl(["pkeyutl", "-sign", "-inkey", await dir.write("priv.pem", privatePem(privateKey)), "-in", digestFile, ...pkey.options]);
    t.is(theirs.code, 0, theirs.stderr);
    t.true(verify(spec, algorithm, publicKeySpkiDer, digest, MessageType.DIGEST, theirs.stdout));
    t.true(verify(spec, algorithm, publicKeySpkiDer, message, MessageType.RAW, theirs.stdout));

    // A changed signature, message or digest does not verify, and OpenSSL agrees.
    t.false(verify(spec, algorithm, publicKeySpkiDer, message, MessageType.RAW, flipBit(raw, -2)));
    t.false(verify(spec, algorithm, publicKeySpkiDer, digest, MessageType.DIGEST, flipBit(overDigest, -2)));
    t.false(verify(spec, algorithm, publicKeySpkiDer, flipBit(message, 0), MessageType.RAW, raw));
    t.false(verify(spec, algorithm, publicKeySpkiDer, flipBit(digest, 0), MessageType.DIGEST, overDigest));
    t.false(verify(spec, algorithm, publicKeySpkiDer, message, MessageType.RAW, Buffer.alloc(3)));
    const tamperedCheck = await openssl(["dgst", `-${dgst.md}`, "-verify", pub, "-signature", await dir.write("bad.sig", flipBit(raw, -2)), ...dgst.options, msgFile]);
    t.not(tamperedCheck.code, 0);
  });
}

test("PSS signatures are randomized, ECDSA DER-encoded, and RSA signatures modulus-sized", async (t) => {
  const rsa = await keyPair(KeySpec.RSA_3072);
  const message = Buffer.from("same message");
  const a = sign(KeySpec.RSA_3072, S.RSASSA_PSS_SHA_256, rsa.privateKey, message, MessageType.RAW);
  const b = sign(KeySpec.RSA_3072, S.RSASSA_PSS_SHA_256, rsa.privateKey, message, MessageType.RAW);
  t.notDeepEqual(a, b);
  t.is(a.length, 384);
  const ec = await keyPair(KeySpec.ECC_NIST_P521);
  const der = sign(KeySpec.ECC_NIST_P521, S.ECDSA_SHA_512, ec.privateKey, message, MessageType.RAW);
  t.is(der[0], 0x30); // SEQUENCE { r, s }
});

test("sign refuses an algorithm the key spec lacks and messages of the wrong type or size", async (t) => {
  const ec = await keyPair(KeySpec.ECC_NIST_P256);
  const rsa = await keyPair(KeySpec.RSA_2048);
  throwsKms(t, () => sign(KeySpec.ECC_NIST_P256, S.ECDSA_SHA_384, ec.privateKey, Buffer.from("m"), MessageType.RAW), "InvalidKeyUsageException");
  throwsKms(t, () => sign(KeySpec.RSA_2048, S.ECDSA_SHA_256, rsa.privateKey, Buffer.from("m"), MessageType.RAW), "InvalidKeyUsageException");
  throwsKms(t, () => sign(KeySpec.ECC_NIST_P256, S.ECDSA_SHA_256, ec.privateKey, Buffer.alloc(48), MessageType.DIGEST), "ValidationException", /Digest is invalid length/);
  throwsKms(t, () => sign(KeySpec.ECC_NIST_P256, S.ECDSA_SHA_256, ec.privateKey, Buffer.alloc(4097), MessageType.RAW), "ValidationException", /4096/);
  throwsKms(t, () => sign(KeySpec.ECC_NIST_P256, S.ECDSA_SHA_256, ec.privateKey, Buffer.alloc(0), MessageType.RAW), "ValidationException");
  throwsKms(t, () => sign(KeySpec.RSA_2048, S.RSASSA_PSS_SHA_256, rsa.privateKey, Buffer.alloc(64), MessageType.EXTERNAL_MU), "ValidationException");
  throwsKms(t, () => verify(KeySpec.RSA_2048, S.RSASSA_PSS_SHA_512, rsa.publicKeySpkiDer, Buffer.alloc(32), MessageType.DIGEST, Buffer.alloc(256)), "ValidationException");
  // 4096 bytes is still RAW; UNSPECIFIED means RAW.
  const sig = sign(KeySpec.ECC_NIST_P256, S.ECDSA_SHA_256, ec.privateKey, Buffer.alloc(4096, 7), MessageType.UNSPECIFIED);
  t.true(verify(KeySpec.ECC_NIST_P256, S.ECDSA_SHA_256, ec.publicKeySpkiDer, Buffer.alloc(4096, 7), MessageType.RAW, sig));
});

// ---------------------------------------------------------------------------------------------
// Ed25519 (RFC 8032 section 7.1) and Ed25519ph (section 7.3).
// ---------------------------------------------------------------------------------------------

const ED25519_PKCS8_PREFIX = "302e020100300506032b657004220420";
const ED25519_SPKI_PREFIX = "302a300506032b6570032100";

// TEST 1 of RFC 8032 signs an empty message, which AWS refuses (messages are 1-4096 bytes), so TESTs 2 and 3.
const rfc8032Ed25519 = [
  {
    name: "TEST 2",
    secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "TEST 3",
    secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

for (const vector of rfc8032Ed25519) {
  test(`Ed25519 RFC 8032 ${vector.name}: ED25519_SHA_512 gives the published signature`, (t) => {
    const spec = KeySpec.ECC_NIST_EDWARDS25519;
    const privateKey = hex(ED25519_PKCS8_PREFIX + vector.secret);
    const spki = derivePublicKey(spec, privateKey);
    t.is(toHex(spki), ED25519_SPKI_PREFIX + vector.public);
    const signature = sign(spec, S.ED25519_SHA_512, privateKey, hex(vector.message), MessageType.RAW);
    t.is(toHex(signature), vector.signature);
    t.true(verify(spec, S.ED25519_SHA_512, spki, hex(vector.message), MessageType.RAW, signature));
    t.false(verify(spec, S.ED25519_SHA_512, spki, hex(vector.message), MessageType.RAW, flipBit(signature, 5)));
  });
}

test("Ed25519ph RFC 8032 section 7.3: ED25519_PH_SHA_512 over the SHA-512 digest of 'abc'", (t) => {
  const spec = KeySpec.ECC_NIST_EDWARDS25519;
  const privateKey = hex(ED25519_PKCS8_PREFIX + "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42");
  const spki = derivePublicKey(spec, privateKey);
  t.is(toHex(spki), ED25519_SPKI_PREFIX + "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf");
  const digest = createHash("sha512").update("abc").digest();
  t.deepEqual(digestFor(S.ED25519_PH_SHA_512, Buffer.from("abc")), digest);
  const signature = sign(spec, S.ED25519_PH_SHA_512, privateKey, digest, MessageType.DIGEST);
  t.is(
    toHex(signature),
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
  );
  t.true(verify(spec, S.ED25519_PH_SHA_512, spki, digest, MessageType.DIGEST, signature));
  t.false(verify(spec, S.ED25519_PH_SHA_512, spki, flipBit(digest, 0), MessageType.DIGEST, signature));
  t.false(verify(spec, S.ED25519_PH_SHA_512, spki, digest, MessageType.DIGEST, flipBit(signature, 40)));
  // Pure Ed25519 and Ed25519ph are domain-separated: one's signature is not the other's.
  t.false(verify(spec, S.ED25519_SHA_512, spki, digest, MessageType.RAW, signature));
});

test("Ed25519 takes RAW only and Ed25519ph a 64-byte DIGEST only", async (t) => {
  const { privateKey } = await keyPair(KeySpec.ECC_NIST_EDWARDS25519);
  const spec = KeySpec.ECC_NIST_EDWARDS25519;
  throwsKms(t, () => sign(spec, S.ED25519_SHA_512, privateKey, Buffer.alloc(64), MessageType.DIGEST), "ValidationException");
  throwsKms(t, () => sign(spec, S.ED25519_PH_SHA_512, privateKey, Buffer.from("abc"), MessageType.RAW), "ValidationException");
  throwsKms(t, () => sign(spec, S.ED25519_PH_SHA_512, privateKey, Buffer.alloc(32), MessageType.DIGEST), "ValidationException");
});

test("a generated Ed25519 key's signature verifies with OpenSSL", async (t) => {
  const { privateKey, publicKeySpkiDer } = await keyPair(KeySpec.ECC_NIST_EDWARDS25519);
  const dir = await workdir(t);
  const message = Buffer.from("ed25519 message");
  const signature = sign(KeySpec.ECC_NIST_EDWARDS25519, S.ED25519_SHA_512, privateKey, message, MessageType.RAW);
  const args = ["pkeyutl", "-verify", "-pubin", "-inkey", await dir.write("pub.pem", publicPem(publicKeySpkiDer)), "-rawin", "-in", await dir.write("msg.bin", message)];
  const good = await openssl([...args, "-sigfile", await dir.write("sig.bin", signature)]);
  t.is(good.code, 0, good.stderr);
  const bad = await openssl([...args, "-sigfile", await dir.write("bad.bin", flipBit(signature, 1))]);
  t.not(bad.code, 0);
});

// ---------------------------------------------------------------------------------------------
// ML-DSA (FIPS 204): RFC 9881 example keys, round trips, external mu.
// ---------------------------------------------------------------------------------------------

const mlDsaSpecs = [
  // RFC 9881 Appendix C: every example key is generated from the seed 00 01 ... 1f.
  { spec: KeySpec.ML_DSA_44, file: "rfc9881-ml-dsa-44.pub", signature: 2420, pkcs8: "MDQCAQAwCwYJYIZIAWUDBAMRBCKAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f" },
  { spec: KeySpec.ML_DSA_65, file: "rfc9881-ml-dsa-65.pub", signature: 3309, pkcs8: "MDQCAQAwCwYJYIZIAWUDBAMSBCKAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f" },
  { spec: KeySpec.ML_DSA_87, file: "rfc9881-ml-dsa-87.pub", signature: 4627, pkcs8: "MDQCAQAwCwYJYIZIAWUDBAMTBCKAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f" },
];
const rfc9881Seed = Uint8Array.from({ length: 32 }, (_, i) => i);

async function pemBody(file: string): Promise<Buffer> {
  const pem = await readFile(new URL(`./vectors/${file}`, import.meta.url), "utf8");
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
}

/** FIPS 204 mu for pure ML-DSA with an empty context: SHAKE256(SHAKE256(pk, 64) || 0 || 0 || M, 64). */
function externalMu(rawPublicKey: Uint8Array, message: Uint8Array): Buffer {
  const tr = createHash("shake256", { outputLength: 64 }).update(rawPublicKey).digest();
  return createHash("shake256", { outputLength: 64 }).update(tr).update(Uint8Array.of(0, 0)).update(message).digest();
}

for (const { spec, file, signature: signatureBytes, pkcs8 } of mlDsaSpecs) {
  test(`${KeySpec[spec]}: the RFC 9881 example seed gives the RFC's SubjectPublicKeyInfo and seed-form PKCS#8`, async (t) => {
    const pair = mlDsaKeyPairFromSeed(spec, rfc9881Seed);
    t.deepEqual(pair.publicKeySpkiDer, await pemBody(file));
    t.is(pair.privateKey.toString("base64"), pkcs8);
    t.deepEqual(derivePublicKey(spec, pair.privateKey), pair.publicKeySpkiDer);
    // OpenSSL 3.0 does not know ML-DSA, but still parses the SPKI's structure: the OID and a BIT STRING.
    const parsed = await openssl(["asn1parse", "-inform", "DER", "-in", await (await workdir(t)).write("pub.der", pair.publicKeySpkiDer)]);
    t.regex(parsed.stdout.toString(), new RegExp(`OBJECT +:2\\.16\\.840\\.1\\.101\\.3\\.4\\.3\\.${17 + mlDsaSpecs.findIndex((m) => m.spec === spec)}`));
  });

  test(`${KeySpec[spec]}: sign and verify RAW and EXTERNAL_MU, with mu computed independently`, async (t) => {
    const { privateKey, publicKeySpkiDer } = await keyPair(spec);
    const message = Buffer.from(`ML-DSA message ${KeySpec[spec]}`);
    const signature = sign(spec, S.ML_DSA_SHAKE_256, privateKey, message, MessageType.RAW);
    t.is(signature.length, signatureBytes);
    t.true(verify(spec, S.ML_DSA_SHAKE_256, publicKeySpkiDer, message, MessageType.RAW, signature));
    t.false(verify(spec, S.ML_DSA_SHAKE_256, publicKeySpkiDer, message, MessageType.RAW, flipBit(signature, 100)));
    t.false(verify(spec, S.ML_DSA_SHAKE_256, publicKeySpkiDer, flipBit(message, 0), MessageType.RAW, signature));
    t.false(verify(spec, S.ML_DSA_SHAKE_256, publicKeySpkiDer, message, MessageType.RAW, signature.subarray(1)));

    const rawPublicKey = publicKeySpkiDer.subarray(22);
    const mu = externalMu(rawPublicKey, message);
    // A signature over mu is a signature over the message, and the other way round.
    const overMu = sign(spec, S.ML_DSA_SHAKE_256, privateKey, mu, MessageType.EXTERNAL_MU);
    t.true(verify(spec, S.ML_DSA_SHAKE_256, publicKeySpkiDer, message, MessageType.RAW, overMu));
    t.true(verify(spec, S.ML_DSA_SHAKE_256, publicKeySpkiDer, mu, MessageType.EXTERNAL_MU, signature));
    t.false(verify(spec, S.ML_DSA_SHAKE_256, publicKeySpkiDer, flipBit(mu, 3), MessageType.EXTERNAL_MU, signature));

    throwsKms(t, () => sign(spec, S.ML_DSA_SHAKE_256, privateKey, mu.subarray(0, 32), MessageType.EXTERNAL_MU), "ValidationException");
    throwsKms(t, () => sign(spec, S.ML_DSA_SHAKE_256, privateKey, Buffer.alloc(64), MessageType.DIGEST), "ValidationException");
    throwsKms(t, () => sign(spec, S.ECDSA_SHA_256, privateKey, message, MessageType.RAW), "InvalidKeyUsageException");
  });
}

test("ML-DSA refuses key material of another parameter set", (t) => {
  const pair44 = mlDsaKeyPairFromSeed(KeySpec.ML_DSA_44, rfc9881Seed);
  t.throws(() => sign(KeySpec.ML_DSA_65, S.ML_DSA_SHAKE_256, pair44.privateKey, Buffer.from("m"), MessageType.RAW), { message: /not an ML-DSA seed/ });
  const signature = sign(KeySpec.ML_DSA_44, S.ML_DSA_SHAKE_256, pair44.privateKey, Buffer.from("m"), MessageType.RAW);
  t.false(verify(KeySpec.ML_DSA_65, S.ML_DSA_SHAKE_256, pair44.publicKeySpkiDer, Buffer.from("m"), MessageType.RAW, signature));
});

// ---------------------------------------------------------------------------------------------
// RSA-OAEP: OpenSSL encrypts, we decrypt; plaintext caps.
// ---------------------------------------------------------------------------------------------

const oaepCases: [KeySpec, E, string][] = [KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096].flatMap((spec) => [
  [spec, E.RSAES_OAEP_SHA_1, "sha1"] as [KeySpec, E, string],
  [spec, E.RSAES_OAEP_SHA_256, "sha256"] as [KeySpec, E, string],
]);

for (const [spec, algorithm, md] of oaepCases) {
  test(`${KeySpec[spec]} ${E[algorithm]}: OpenSSL-encrypted plaintext of the maximum size decrypts, one byte more is refused`, async (t) => {
    const { privateKey, publicKeySpkiDer } = await keyPair(spec);
    const dir = await workdir(t);
    const max = rsaOaepMaxPlaintextBytes(spec, algorithm)!;
    const plaintext = Buffer.alloc(max, 0x5a);
    const options = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", `rsa_oaep_md:${md}`, "-pkeyopt", `rsa_mgf1_md:${md}`];
    const pub = await dir.write("pub.pem", publicPem(publicKeySpkiDer));
    const encrypted = await openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", await dir.write("pt.bin", plaintext), ...options]);
    t.is(encrypted.code, 0, encrypted.stderr);
    t.deepEqual(decryptRsaOaep(spec, algorithm, privateKey, encrypted.stdout), plaintext);

    // OpenSSL itself refuses one byte more, which is where the cap comes from.
    const tooLong = await openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", await dir.write("long.bin", Buffer.alloc(max + 1)), ...options]);
    t.not(tooLong.code, 0);
    throwsKms(t, () => encryptRsaOaep(spec, algorithm, publicKeySpkiDer, Buffer.alloc(max + 1)), "ValidationException", new RegExp(`1 to ${max} bytes`));

    // Our ciphertext decrypts with OpenSSL.
    const ours = encryptRsaOaep(spec, algorithm, publicKeySpkiDer, plaintext);
    const decrypted = await openssl(["pkeyutl", "-decrypt", "-inkey", await dir.write("priv.pem", privatePem(privateKey)), "-in", await dir.write("ct.bin", ours), ...options]);
    t.is(decrypted.code, 0, decrypted.stderr);
    t.deepEqual(decrypted.stdout, plaintext);
  });
}

test("RSA-OAEP decryption failures are all just undefined", async (t) => {
  const { privateKey, publicKeySpkiDer } = await keyPair(KeySpec.RSA_2048);
  const other = await generateAsymmetricKeyPair(KeySpec.RSA_2048);
  const ciphertext = encryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, publicKeySpkiDer, Buffer.from("secret"));
  t.deepEqual(decryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, privateKey, ciphertext), Buffer.from("secret"));
  t.is(decryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, privateKey, flipBit(ciphertext, 100)), undefined);
  t.is(decryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_1, privateKey, ciphertext), undefined);
  t.is(decryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, privateKey, ciphertext.subarray(1)), undefined);
  t.is(decryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, privateKey, Buffer.alloc(256, 0xff)), undefined);
  const forOther = encryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, other.publicKeySpkiDer, Buffer.from("secret"));
  t.is(decryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, privateKey, forOther), undefined);
  throwsKms(t, () => encryptRsaOaep(KeySpec.RSA_2048, E.RSAES_OAEP_SHA_256, publicKeySpkiDer, Buffer.alloc(0)), "ValidationException");
  throwsKms(t, () => encryptRsaOaep(KeySpec.RSA_2048, E.SYMMETRIC_DEFAULT, publicKeySpkiDer, Buffer.from("x")), "InvalidKeyUsageException");
  throwsKms(t, () => decryptRsaOaep(KeySpec.ECC_NIST_P256, E.RSAES_OAEP_SHA_256, privateKey, ciphertext), "InvalidKeyUsageException");
});

// ---------------------------------------------------------------------------------------------
// HMAC: RFC 4231 test cases 1-4, 6 and 7 (5 is a truncated MAC, which KMS never returns).
// ---------------------------------------------------------------------------------------------

const rfc4231 = [
  {
    key: "0b".repeat(20),
    data: Buffer.from("Hi There"),
    mac: [
      "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
    ],
  },
  {
    key: Buffer.from("Jefe").toString("hex"),
    data: Buffer.from("what do ya want for nothing?"),
    mac: [
      "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    ],
  },
  {
    key: "aa".repeat(20),
    data: Buffer.alloc(50, 0xdd),
    mac: [
      "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
      "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
      "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
    ],
  },
  {
    key: "0102030405060708090a0b0c0d0e0f10111213141516171819",
    data: Buffer.alloc(50, 0xcd),
    mac: [
      "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
      "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
      "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
    ],
  },
  {
    key: "aa".repeat(131),
    data: Buffer.from("Test Using Larger Than Block-Size Key - Hash Key First"),
    mac: [
      "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
      "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
    ],
  },
  {
    key: "aa".repeat(131),
    data: Buffer.from(
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
    ),
    mac: [
      "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
      "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
      "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
    ],
  },
];
const hmacSpecs: [KeySpec, M][] = [
  [KeySpec.HMAC_224, M.HMAC_SHA_224],
  [KeySpec.HMAC_256, M.HMAC_SHA_256],
  [KeySpec.HMAC_384, M.HMAC_SHA_384],
  [KeySpec.HMAC_512, M.HMAC_SHA_512],
];

test("HMAC RFC 4231 known answers for SHA-224, SHA-256, SHA-384 and SHA-512", (t) => {
  for (const [caseIndex, vector] of rfc4231.entries()) {
    for (const [i, [spec, algorithm]] of hmacSpecs.entries()) {
      const label = `case ${caseIndex} ${M[algorithm]}`;
      const mac = generateMac(spec, algorithm, hex(vector.key), vector.data);
      t.is(toHex(mac), vector.mac[i], label);
      t.true(verifyMac(spec, algorithm, hex(vector.key), vector.data, mac), label);
      t.false(verifyMac(spec, algorithm, hex(vector.key), vector.data, flipBit(mac, -1)), label);
      t.false(verifyMac(spec, algorithm, hex(vector.key), vector.data, mac.subarray(1)), label);
    }
  }
});

test("HMAC refuses the wrong algorithm for the spec and messages outside 1-4096 bytes", (t) => {
  const key = generateHmacKey(KeySpec.HMAC_256);
  throwsKms(t, () => generateMac(KeySpec.HMAC_256, M.HMAC_SHA_512, key, Buffer.from("m")), "InvalidKeyUsageException");
  throwsKms(t, () => generateMac(KeySpec.RSA_2048, M.HMAC_SHA_256, key, Buffer.from("m")), "InvalidKeyUsageException");
  throwsKms(t, () => generateMac(KeySpec.HMAC_256, M.HMAC_SHA_256, key, Buffer.alloc(4097)), "ValidationException");
  throwsKms(t, () => verifyMac(KeySpec.HMAC_256, M.HMAC_SHA_256, key, Buffer.alloc(0), Buffer.alloc(32)), "ValidationException");
  t.is(generateMac(KeySpec.HMAC_256, M.HMAC_SHA_256, key, Buffer.alloc(4096)).length, 32);
});

// ---------------------------------------------------------------------------------------------
// ECDH: both sides derive the same secret; foreign keys are refused.
// ---------------------------------------------------------------------------------------------

const ecdhCurves: [KeySpec, string, string, number][] = [
  [KeySpec.ECC_NIST_P256, "prime256v1", "P-256", 32],
  [KeySpec.ECC_NIST_P384, "secp384r1", "P-384", 48],
  [KeySpec.ECC_NIST_P521, "secp521r1", "P-521", 66],
];

/** The SPKI of a raw uncompressed point, through JWK. */
function spkiOfPoint(jwkCurve: string, point: Buffer): Buffer {
  const size = (point.length - 1) / 2;
  const jwk = { kty: "EC", crv: jwkCurve, x: point.subarray(1, 1 + size).toString("base64url"), y: point.subarray(1 + size).toString("base64url") };
  return createPublicKey({ key: jwk, format: "jwk" }).export({ format: "der", type: "spki" });
}

function pointOfSpki(spki: Uint8Array): Buffer {
  const { x, y } = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }).export({ format: "jwk" });
  return Buffer.concat([Buffer.from([4]), Buffer.from(x!, "base64url"), Buffer.from(y!, "base64url")]);
}

for (const [spec, curve, jwkCurve, secretBytes] of ecdhCurves) {
  test(`${KeySpec[spec]} ECDH: the peer (node createECDH) and we derive the same raw x-coordinate`, async (t) => {
    const ours = await keyPair(spec);
    const peer = createECDH(curve);
    const peerPoint = peer.generateKeys();
    const secret = deriveSharedSecret(spec, KeyAgreementAlgorithmSpec.ECDH, ours.privateKey, spkiOfPoint(jwkCurve, peerPoint));
    t.is(secret.length, secretBytes);
    t.deepEqual(secret, peer.computeSecret(pointOfSpki(ours.publicKeySpkiDer)));
  });
}

test("ECDH refuses a peer key on another curve, of another type, malformed or off the curve", async (t) => {
  const ours = await keyPair(KeySpec.ECC_NIST_P256);
  const derive = (peer: Uint8Array) => () => deriveSharedSecret(KeySpec.ECC_NIST_P256, KeyAgreementAlgorithmSpec.ECDH, ours.privateKey, peer);
  const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ format: "der", type: "spki" });
  const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey.export({ format: "der", type: "spki" });
  const ed = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" });
  throwsKms(t, derive(p384), "ValidationException", /same curve/);
  throwsKms(t, derive(k1), "ValidationException", /same curve/);
  throwsKms(t, derive(ed), "ValidationException", /same curve/);
  throwsKms(t, derive(Buffer.from("not a key")), "ValidationException", /SubjectPublicKeyInfo/);
  // The last byte of the SPKI is the point's y; changing it moves the point off the curve.
  const peer = createECDH("prime256v1");
  throwsKms(t, derive(flipBit(spkiOfPoint("P-256", peer.generateKeys()), -1)), "ValidationException");
  // Keys that are not for key agreement.
  const k1Key = await keyPair(KeySpec.ECC_SECG_P256K1);
  throwsKms(t, () => deriveSharedSecret(KeySpec.ECC_SECG_P256K1, KeyAgreementAlgorithmSpec.ECDH, k1Key.privateKey, k1), "InvalidKeyUsageException");
  throwsKms(t, () => deriveSharedSecret(KeySpec.ECC_NIST_P256, KeyAgreementAlgorithmSpec.UNSPECIFIED, ours.privateKey, p384), "InvalidKeyUsageException");
});

// ---------------------------------------------------------------------------------------------
// Data key pairs. RSA_4096 goes through the same code as the RSA-4096 key above and is skipped
// to keep the suite fast.
// ---------------------------------------------------------------------------------------------

// ML-KEM pairs are checked in ml-kem.test.ts: OpenSSL 3.0 has no ML-KEM.
for (const spec of supportedDataKeyPairSpecs.filter((s) => s !== DataKeyPairSpec.RSA_4096 && !DataKeyPairSpec[s]!.startsWith("ML_KEM"))) {
  test(`data key pair ${DataKeyPairSpec[spec]}: OpenSSL reads the PKCS#8 private key and derives the same SPKI`, async (t) => {
    const pair = await generateDataKeyPair(spec);
    const dir = await workdir(t);
    const result = await openssl(["pkey", "-inform", "DER", "-in", await dir.write("priv.der", pair.privateKeyPkcs8Der), "-pubout", "-outform", "DER"]);
    t.is(result.code, 0, result.stderr);
    t.deepEqual(result.stdout, pair.publicKeySpkiDer);
  });
}

test("data key pair SM2 is refused", async (t) => {
  await t.throwsAsync(generateDataKeyPair(DataKeyPairSpec.SM2), { instanceOf: TypeError });
});
