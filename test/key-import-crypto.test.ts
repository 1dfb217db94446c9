import test, { type ExecutionContext } from "ava";
import fc from "fast-check";
import { execFile } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlgorithmSpec as A, KeySpec, WrappingKeySpec as W } from "../gen/kms/v1/types_pb.js";
import type { ExceptionName } from "../server/errors/catalog.js";
import { KmsError } from "../server/errors/kms-error.js";
import { unwrapAesKwp, wrapAesKwp } from "../server/crypto/import/aes-key-wrap-pad.js";
import { IMPORT_TOKEN_VALIDITY_MS, MAX_IMPORT_TOKEN_BYTES, openImportToken, sealImportToken, type ImportTokenFields } from "../server/crypto/import/import-token.js";
import { canonicalImportedMaterial, checkImportedMaterial, isImportableKeySpec, publicKeyOfImported } from "../server/crypto/import/material-check.js";
import { unwrapImportedMaterial, wrappingAlgorithmFits } from "../server/crypto/import/unwrap-key-material.js";
import { wrapMaterialForImport } from "../server/crypto/import/wrap-key-material.js";
import { wrappingScheme } from "../server/crypto/import/wrapping-algorithms.js";
import { generateWrappingKeyPair, type WrappingKeyPair } from "../server/crypto/import/wrapping-key.js";

const hex = (s: string): Buffer => Buffer.from(s, "hex");

/** A copy of bytes with one bit inverted (negative index counts from the end). */
function flipBit(bytes: Uint8Array, index: number, bit = 0): Buffer {
  const copy = Buffer.from(bytes);
  const i = index < 0 ? copy.length + index : index;
  copy[i] = copy[i]! ^ (1 << bit);
  return copy;
}

function throwsKms(t: ExecutionContext, fn: () => unknown, exception: ExceptionName, message?: RegExp): void {
  const error = t.throws(fn, { instanceOf: KmsError });
  t.is(error?.exception, exception);
  if (message) t.regex(error?.message ?? "", message);
}

// ---------------------------------------------------------------------------------------------
// OpenSSL CLI as the outside party, run the way AWS's "Encrypt the key material" page tells
// users to. One temp dir for the file; each case prefixes its file names.
// ---------------------------------------------------------------------------------------------

let dirPromise: Promise<string> | undefined;
const workdir = () => (dirPromise ??= mkdtemp(join(tmpdir(), "kms-import-")));
test.after.always(async () => {
  if (dirPromise) await rm(await dirPromise, { recursive: true, force: true });
});

async function file(name: string, data?: Uint8Array): Promise<string> {
  const path = join(await workdir(), name);
  if (data) await writeFile(path, data);
  return path;
}

function openssl(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile("openssl", args, { encoding: "buffer" }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr: stderr.toString() });
    });
  });
}

async function mustOpenssl(args: string[]): Promise<Buffer> {
  const result = await openssl(args);
  if (result.code !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

/** `openssl genpkey ... | openssl pkcs8 -topk8 -nocrypt -outform DER`, as AWS's test-material commands, through files. */
async function opensslPrivateKey(name: string, genpkeyArgs: string[], transform: string[] = []): Promise<Buffer> {
  const pem = await file(`${name}.pem`);
  await mustOpenssl(["genpkey", ...genpkeyArgs, "-out", pem]);
  let source = pem;
  if (transform.length > 0) {
    source = await file(`${name}.transformed.pem`);
    await mustOpenssl([...transform, "-in", pem, "-out", source]);
  }
  const der = await file(`${name}.der`);
  await mustOpenssl(["pkcs8", "-topk8", "-nocrypt", "-in", source, "-outform", "DER", "-out", der]);
  return readFile(der);
}

/** Test key material, made once by the openssl CLI. */
interface Materials {
  symmetric: Buffer;
  hmac384: Buffer;
  rsa2048: Buffer;
  p256: Buffer;
  p521: Buffer;
  multiPrimeRsa: Buffer;
  explicitP256: Buffer;
  p256WithoutPublicKey: Buffer;
  ed25519: Buffer;
}

let materialsPromise: Promise<Materials> | undefined;
function materials(): Promise<Materials> {
  return (materialsPromise ??= (async () => {
    const rand = async (name: string, bytes: number) => (await mustOpenssl(["rand", "-out", await file(name), String(bytes)]), readFile(await file(name)));
    const ec = (curve: string) => ["-algorithm", "ec", "-pkeyopt", `ec_paramgen_curve:${curve}`];
    const [symmetric, hmac384, rsa2048, p256, p521, multiPrimeRsa, explicitP256, p256WithoutPublicKey, ed25519] = await Promise.all([
      rand("symmetric.bin", 32),
      rand("hmac384.bin", 48),
      opensslPrivateKey("rsa2048", ["-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048"]),
      opensslPrivateKey("p256", ec("P-256")),
      opensslPrivateKey("p521", ec("P-521")),
      opensslPrivateKey("rsa-3-primes", ["-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_primes:3"]),
      opensslPrivateKey("p256-explicit", [...ec("P-256"), "-pkeyopt", "ec_param_enc:explicit"]),
      opensslPrivateKey("p256-nopub", ec("P-256"), ["ec", "-no_public"]),
      opensslPrivateKey("ed25519", ["-algorithm", "ed25519"]),
    ]);
    return { symmetric, hmac384, rsa2048, p256, p521, multiPrimeRsa, explicitP256, p256WithoutPublicKey, ed25519 };
  })());
}

// Wrapping keys are generated once per spec and shared (RSA-4096 only by the wrapping-key test).
const wrappingKeys = new Map<W, Promise<WrappingKeyPair>>();
function wrappingKey(spec: W): Promise<WrappingKeyPair> {
  let pair = wrappingKeys.get(spec);
  if (!pair) wrappingKeys.set(spec, (pair = generateWrappingKeyPair(spec)));
  return pair;
}

const oaepHashName = (algorithm: A): "sha1" | "sha256" => wrappingScheme(algorithm).oaepHash;

/**
 * Wraps a material file with the openssl CLI as AWS documents it, the wrapping public key given
 * as the DER file GetParametersForImport returns. RSA_AES_KEY_WRAP_*: rand 32 -> enc
 * -id-aes256-wrap-pad -> pkeyutl OAEP of the AES key -> cat wrapped-aes wrapped-material.
 */
async function opensslWrap(name: string, algorithm: A, wrappingSpki: Uint8Array, material: Uint8Array): Promise<{ code: number; wrapped: Buffer; stderr: string }> {
  const hash = oaepHashName(algorithm);
  const publicKey = await file(`${name}.wrapping.der`, wrappingSpki);
  const materialFile = await file(`${name}.material.bin`, material);
  const oaep = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", `rsa_oaep_md:${hash}`, "-pkeyopt", `rsa_mgf1_md:${hash}`];
  const rsaEncrypt = async (input: string, output: string) => openssl(["pkeyutl", "-encrypt", "-in", input, "-out", output, "-inkey", publicKey, "-keyform", "DER", "-pubin", ...oaep]);
  if (!wrappingScheme(algorithm).aesKeyWrap) {
    const out = await file(`${name}.encrypted.bin`);
    const result = await rsaEncrypt(materialFile, out);
    return { code: result.code, wrapped: result.code === 0 ? await readFile(out) : Buffer.alloc(0), stderr: result.stderr };
  }
  const aesFile = await file(`${name}.aes.bin`);
  await mustOpenssl(["rand", "-out", aesFile, "32"]);
  const aesHex = (await readFile(aesFile)).toString("hex"); // $(xxd -p -c 64 aes.bin)
  const wrappedMaterial = await file(`${name}.wrapped-material.bin`);
  const kwp = await openssl(["enc", "-id-aes256-wrap-pad", "-K", aesHex, "-iv", "A65959A6", "-in", materialFile, "-out", wrappedMaterial]);
  if (kwp.code !== 0) return { code: kwp.code, wrapped: Buffer.alloc(0), stderr: kwp.stderr };
  const wrappedAes = await file(`${name}.wrapped-aes.bin`);
  const rsa = await rsaEncrypt(aesFile, wrappedAes);
  if (rsa.code !== 0) return { code: rsa.code, wrapped: Buffer.alloc(0), stderr: rsa.stderr };
  return { code: 0, wrapped: Buffer.concat([await readFile(wrappedAes), await readFile(wrappedMaterial)]), stderr: "" };
}

const ALGORITHMS = [A.RSAES_OAEP_SHA_1, A.RSAES_OAEP_SHA_256, A.RSA_AES_KEY_WRAP_SHA_1, A.RSA_AES_KEY_WRAP_SHA_256] as const;

// ---------------------------------------------------------------------------------------------
// AES Key Wrap with Padding (RFC 5649).
// ---------------------------------------------------------------------------------------------

const RFC5649_KEK = hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
const RFC5649_VECTORS = [
  { key: hex("c37b7e6492584340bed12207808941155068f738"), wrapped: hex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a") },
  { key: hex("466f7250617369"), wrapped: hex("afbeb0f07dfbf5419200f2ccb50bb24f") },
];

test("AES-KWP: the RFC 5649 section 6 vectors (192-bit KEK) wrap and unwrap exactly; any altered bit or other KEK gives undefined", (t) => {
  for (const { key, wrapped } of RFC5649_VECTORS) {
    t.deepEqual(wrapAesKwp(RFC5649_KEK, key), wrapped);
    t.deepEqual(unwrapAesKwp(RFC5649_KEK, wrapped), key);
    const outcomes = new Set<string>();
    for (let i = 0; i < wrapped.length; i++) for (let bit = 0; bit < 8; bit++) outcomes.add(String(unwrapAesKwp(RFC5649_KEK, flipBit(wrapped, i, bit))));
    t.deepEqual([...outcomes], ["undefined"], "every single-bit flip fails the integrity check");
    t.is(unwrapAesKwp(flipBit(RFC5649_KEK, 0), wrapped), undefined);
  }
});

test("AES-KWP: 128, 192 and 256-bit KEKs round-trip 1 to 70 bytes; malformed lengths and empty input are refused", (t) => {
  for (const kekBytes of [16, 24, 32]) {
    const kek = randomBytes(kekBytes);
    for (let n = 1; n <= 70; n++) {
      const plaintext = randomBytes(n);
      const wrapped = wrapAesKwp(kek, plaintext);
      t.is(wrapped.length, Math.ceil(n / 8) * 8 + 8);
      t.deepEqual(unwrapAesKwp(kek, wrapped), plaintext);
    }
    for (const length of [0, 1, 8, 15, 17, 23, 31]) t.is(unwrapAesKwp(kek, Buffer.alloc(length)), undefined, `length ${length}`);
    // Truncated or extended by a semiblock: right length class, wrong integrity.
    const wrapped = wrapAesKwp(kek, randomBytes(20));
    t.is(unwrapAesKwp(kek, wrapped.subarray(0, wrapped.length - 8)), undefined);
    t.is(unwrapAesKwp(kek, Buffer.concat([wrapped, Buffer.alloc(8)])), undefined);
  }
  t.throws(() => wrapAesKwp(randomBytes(32), Buffer.alloc(0)), { instanceOf: TypeError });
  t.throws(() => wrapAesKwp(randomBytes(20), Buffer.alloc(8)), { instanceOf: TypeError });
  t.throws(() => unwrapAesKwp(randomBytes(31), Buffer.alloc(16)), { instanceOf: TypeError });
});

test("AES-KWP: byte-identical to `openssl enc -id-aes256-wrap-pad -iv A65959A6` (KWP is deterministic)", async (t) => {
  const kek = randomBytes(32);
  for (const n of [1, 7, 8, 9, 32, 48, 138, 1218]) {
    const plaintext = randomBytes(n);
    const out = await file(`kwp-${n}.out`);
    await mustOpenssl(["enc", "-id-aes256-wrap-pad", "-K", kek.toString("hex"), "-iv", "A65959A6", "-in", await file(`kwp-${n}.in`, plaintext), "-out", out]);
    t.deepEqual(wrapAesKwp(kek, plaintext), await readFile(out), `${n} bytes`);
  }
});

// ---------------------------------------------------------------------------------------------
// Wrapping keys.
// ---------------------------------------------------------------------------------------------

test("wrapping keys: RSA_2048/3072/4096 with e = 65537, PKCS#8 and SPKI of one pair; SM2 and unknown specs refused", async (t) => {
  for (const [spec, bits] of [[W.RSA_2048, 2048], [W.RSA_3072, 3072], [W.RSA_4096, 4096]] as const) {
    const pair = await wrappingKey(spec);
    const privateKey = createPrivateKey({ key: pair.privateKeyPkcs8Der, format: "der", type: "pkcs8" });
    t.is(privateKey.asymmetricKeyType, "rsa");
    t.is(privateKey.asymmetricKeyDetails?.modulusLength, bits);
    t.is(privateKey.asymmetricKeyDetails?.publicExponent, 65537n);
    t.deepEqual(createPublicKey(privateKey).export({ type: "spki", format: "der" }), pair.publicKeySpkiDer);
  }
  t.notDeepEqual((await generateWrappingKeyPair(W.RSA_2048)).publicKeySpkiDer, (await wrappingKey(W.RSA_2048)).publicKeySpkiDer, "a new pair per call");
  const sm2 = await t.throwsAsync(generateWrappingKeyPair(W.SM2), { instanceOf: KmsError });
  t.is(sm2?.exception, "UnsupportedOperationException");
  for (const spec of [W.UNSPECIFIED, 99 as W]) {
    const error = await t.throwsAsync(generateWrappingKeyPair(spec), { instanceOf: KmsError });
    t.is(error?.exception, "ValidationException");
  }
});

// ---------------------------------------------------------------------------------------------
// Unwrapping what openssl wrapped.
// ---------------------------------------------------------------------------------------------

test("every wrapping algorithm unwraps material that the openssl CLI wrapped: symmetric, HMAC, RSA-2048 and P-256 PKCS#8", async (t) => {
  const m = await materials();
  const wrapping = await wrappingKey(W.RSA_2048);
  const cases = [
    { spec: KeySpec.SYMMETRIC_DEFAULT, material: m.symmetric },
    { spec: KeySpec.HMAC_384, material: m.hmac384 },
    { spec: KeySpec.RSA_2048, material: m.rsa2048 },
    { spec: KeySpec.ECC_NIST_P256, material: m.p256 },
  ];
  let roundTrips = 0;
  await Promise.all(
    cases.flatMap(({ spec, material }) =>
      ALGORITHMS.filter((algorithm) => wrappingAlgorithmFits(algorithm, spec, W.RSA_2048)).map(async (algorithm) => {
        const label = `${KeySpec[spec]} / ${A[algorithm]}`;
        const { code, wrapped, stderr } = await opensslWrap(`rt-${spec}-${algorithm}`, algorithm, wrapping.publicKeySpkiDer, material);
        t.is(code, 0, `${label}: ${stderr}`);
        const expectedLength = wrappingScheme(algorithm).aesKeyWrap ? 256 + Math.ceil(material.length / 8) * 8 + 8 : 256;
        t.is(wrapped.length, expectedLength, label);
        const unwrapped = unwrapImportedMaterial(algorithm, wrapping.privateKeyPkcs8Der, wrapped);
        t.deepEqual(unwrapped, material, label);
        t.is(checkImportedMaterial(spec, unwrapped!), undefined, label);
        // The same algorithm named with the other hash does not unwrap it.
        const otherHash = { [A.RSAES_OAEP_SHA_1]: A.RSAES_OAEP_SHA_256, [A.RSAES_OAEP_SHA_256]: A.RSAES_OAEP_SHA_1, [A.RSA_AES_KEY_WRAP_SHA_1]: A.RSA_AES_KEY_WRAP_SHA_256, [A.RSA_AES_KEY_WRAP_SHA_256]: A.RSA_AES_KEY_WRAP_SHA_1 }[algorithm];
        t.is(unwrapImportedMaterial(otherHash, wrapping.privateKeyPkcs8Der, wrapped), undefined, `${label} read with the other hash`);
        roundTrips++;
      }),
    ),
  );
  t.is(roundTrips, 14, "3 OAEP-sized materials x 2 OAEP algorithms + 4 materials x 2 key-wrap algorithms");
});

test("RSAES_OAEP_* cannot carry an RSA private key (openssl refuses the size too); P-521 under RSA_2048 neither, under RSA_3072 it can", async (t) => {
  const m = await materials();
  const [rsa2048, rsa3072] = await Promise.all([wrappingKey(W.RSA_2048), wrappingKey(W.RSA_3072)]);
  for (const algorithm of [A.RSAES_OAEP_SHA_1, A.RSAES_OAEP_SHA_256]) {
    for (const spec of [KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096]) t.false(wrappingAlgorithmFits(algorithm, spec), `${A[algorithm]} ${KeySpec[spec]}`);
    t.not((await opensslWrap(`oaep-rsa-${algorithm}`, algorithm, rsa2048.publicKeySpkiDer, m.rsa2048)).code, 0, "RSA PKCS#8 exceeds one OAEP block");
    t.false(wrappingAlgorithmFits(algorithm, KeySpec.ECC_NIST_P521, W.RSA_2048));
    t.true(wrappingAlgorithmFits(algorithm, KeySpec.ECC_NIST_P521, W.RSA_3072));
    t.not((await opensslWrap(`oaep-p521-2048-${algorithm}`, algorithm, rsa2048.publicKeySpkiDer, m.p521)).code, 0, "241 bytes exceed RSA-2048's OAEP limit");
    const { code, wrapped } = await opensslWrap(`oaep-p521-3072-${algorithm}`, algorithm, rsa3072.publicKeySpkiDer, m.p521);
    t.is(code, 0);
    t.deepEqual(unwrapImportedMaterial(algorithm, rsa3072.privateKeyPkcs8Der, wrapped), m.p521);
  }
  // The key-wrap algorithms carry P-521 under RSA_2048.
  const { wrapped } = await opensslWrap("kw-p521-2048", A.RSA_AES_KEY_WRAP_SHA_256, rsa2048.publicKeySpkiDer, m.p521);
  t.true(wrappingAlgorithmFits(A.RSA_AES_KEY_WRAP_SHA_256, KeySpec.ECC_NIST_P521, W.RSA_2048));
  t.deepEqual(unwrapImportedMaterial(A.RSA_AES_KEY_WRAP_SHA_256, rsa2048.privateKeyPkcs8Der, wrapped), m.p521);
});

test("wrapMaterialForImport (the client side) produces what openssl can unwrap and unwrapImportedMaterial reverses", async (t) => {
  const m = await materials();
  const wrapping = await wrappingKey(W.RSA_2048);
  const privatePem = await file("client-side.wrapping.pem", Buffer.from(createPrivateKey({ key: wrapping.privateKeyPkcs8Der, format: "der", type: "pkcs8" }).export({ type: "pkcs8", format: "pem" })));
  for (const algorithm of ALGORITHMS) {
    const wrapped = wrapMaterialForImport(algorithm, wrapping.publicKeySpkiDer, m.symmetric);
    t.deepEqual(unwrapImportedMaterial(algorithm, wrapping.privateKeyPkcs8Der, wrapped), m.symmetric, A[algorithm]);
    // openssl decrypts the RSA part with the same OAEP parameters.
    const hash = oaepHashName(algorithm);
    const out = await file(`client-side-${algorithm}.out`);
    await mustOpenssl(["pkeyutl", "-decrypt", "-inkey", privatePem, "-in", await file(`client-side-${algorithm}.in`, wrapped.subarray(0, 256)), "-out", out, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", `rsa_oaep_md:${hash}`, "-pkeyopt", `rsa_mgf1_md:${hash}`]);
    const rsaPart = await readFile(out);
    if (wrappingScheme(algorithm).aesKeyWrap) t.deepEqual(unwrapAesKwp(rsaPart, wrapped.subarray(256)), m.symmetric);
    else t.deepEqual(rsaPart, m.symmetric);
  }
  t.throws(() => wrapMaterialForImport(A.RSAES_OAEP_SHA_256, wrapping.publicKeySpkiDer, m.rsa2048), undefined, "too large for one OAEP block");
});

test("tampered, truncated, extended or misdirected encrypted material unwraps to undefined, never throws", async (t) => {
  const m = await materials();
  const [wrapping, other] = await Promise.all([wrappingKey(W.RSA_2048), wrappingKey(W.RSA_3072)]);
  for (const algorithm of ALGORITHMS) {
    const material = algorithm === A.RSA_AES_KEY_WRAP_SHA_256 ? m.p256 : m.symmetric;
    const { wrapped } = await opensslWrap(`tamper-${algorithm}`, algorithm, wrapping.publicKeySpkiDer, material);
    const unwrap = (bytes: Uint8Array) => unwrapImportedMaterial(algorithm, wrapping.privateKeyPkcs8Der, bytes);
    t.deepEqual(unwrap(wrapped), material, "the untouched blob unwraps");
    const bad: Buffer[] = [
      flipBit(wrapped, 0),
      flipBit(wrapped, 128, 3),
      flipBit(wrapped, 255, 7),
      flipBit(wrapped, -1),
      flipBit(wrapped, -9, 5),
      wrapped.subarray(0, wrapped.length - 1),
      wrapped.subarray(0, wrapped.length - 8),
      wrapped.subarray(1),
      Buffer.concat([wrapped, Buffer.alloc(1)]),
      Buffer.concat([wrapped, Buffer.alloc(8)]),
      Buffer.alloc(0),
      Buffer.alloc(wrapped.length),
    ];
    if (wrappingScheme(algorithm).aesKeyWrap) {
      bad.push(wrapped.subarray(0, 256), wrapped.subarray(256), Buffer.concat([wrapped.subarray(0, 256), Buffer.alloc(wrapped.length - 256)]));
      // Every byte of the KWP part.
      for (let i = 256; i < wrapped.length; i++) bad.push(flipBit(wrapped, i, i % 8));
    }
    for (const [i, bytes] of bad.entries()) t.is(unwrap(bytes), undefined, `${A[algorithm]} case ${i}`);
    t.is(unwrapImportedMaterial(algorithm, other.privateKeyPkcs8Der, wrapped), undefined, "another wrapping key");
  }
  // An OAEP blob read as key-wrap (and the reverse) is refused.
  const oaep = wrapMaterialForImport(A.RSAES_OAEP_SHA_256, wrapping.publicKeySpkiDer, m.symmetric);
  t.is(unwrapImportedMaterial(A.RSA_AES_KEY_WRAP_SHA_256, wrapping.privateKeyPkcs8Der, oaep), undefined);
  const kw = wrapMaterialForImport(A.RSA_AES_KEY_WRAP_SHA_256, wrapping.publicKeySpkiDer, m.symmetric);
  t.is(unwrapImportedMaterial(A.RSAES_OAEP_SHA_256, wrapping.privateKeyPkcs8Der, kw), undefined);
  // A key-wrap blob whose RSA part holds a 16-byte AES key (AWS uses 256-bit keys only).
  const aes128 = randomBytes(16);
  const short = Buffer.concat([wrapMaterialForImport(A.RSAES_OAEP_SHA_256, wrapping.publicKeySpkiDer, aes128), wrapAesKwp(aes128, m.symmetric)]);
  t.is(unwrapImportedMaterial(A.RSA_AES_KEY_WRAP_SHA_256, wrapping.privateKeyPkcs8Der, short), undefined);
});

test("any bytes given as encrypted material give a Buffer or undefined, never an exception (fuzz)", async (t) => {
  const wrapping = await wrappingKey(W.RSA_2048);
  const bytesArb = fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.uint8Array({ minLength: 255, maxLength: 300 }));
  let refused = 0;
  let runs = 0;
  fc.assert(
    fc.property(fc.constantFrom(...ALGORITHMS), bytesArb, (algorithm, bytes) => {
      runs++;
      const result = unwrapImportedMaterial(algorithm, wrapping.privateKeyPkcs8Der, bytes);
      if (result === undefined) refused++;
      else if (!Buffer.isBuffer(result)) throw new Error("neither a Buffer nor undefined");
    }),
    { numRuns: 300 },
  );
  t.is(runs, 300);
  t.is(refused, 300, "random bytes never unwrap");
});

test("refused wrapping algorithms: RSAES_PKCS1_V1_5 is a ValidationException (deprecated), SM2PKE unsupported, unknown invalid", async (t) => {
  const wrapping = await wrappingKey(W.RSA_2048);
  const blob = Buffer.alloc(256, 1);
  throwsKms(t, () => unwrapImportedMaterial(A.RSAES_PKCS1_V1_5, wrapping.privateKeyPkcs8Der, blob), "ValidationException", /RSAES_PKCS1_V1_5.*deprecated/);
  throwsKms(t, () => unwrapImportedMaterial(A.SM2PKE, wrapping.privateKeyPkcs8Der, blob), "UnsupportedOperationException");
  throwsKms(t, () => unwrapImportedMaterial(A.UNSPECIFIED, wrapping.privateKeyPkcs8Der, blob), "ValidationException");
  throwsKms(t, () => unwrapImportedMaterial(42 as A, wrapping.privateKeyPkcs8Der, blob), "ValidationException");
  // A wrapping key that is not RSA is a server fault, not a client's undefined.
  const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "der" });
  t.throws(() => unwrapImportedMaterial(A.RSAES_OAEP_SHA_256, ec, blob), { message: /not an RSA key/ });
});

test("wrappingAlgorithmFits: AWS's table of wrapping algorithms per key material", (t) => {
  const importable = [KeySpec.SYMMETRIC_DEFAULT, KeySpec.HMAC_224, KeySpec.HMAC_256, KeySpec.HMAC_384, KeySpec.HMAC_512, KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096, KeySpec.ECC_NIST_P256, KeySpec.ECC_NIST_P384, KeySpec.ECC_NIST_P521, KeySpec.ECC_SECG_P256K1];
  const isRsa = (spec: KeySpec) => spec === KeySpec.RSA_2048 || spec === KeySpec.RSA_3072 || spec === KeySpec.RSA_4096;
  for (const spec of importable) {
    for (const wrappingSpec of [W.RSA_2048, W.RSA_3072, W.RSA_4096, undefined]) {
      const at = `${KeySpec[spec]} under ${wrappingSpec === undefined ? "any" : W[wrappingSpec]}`;
      t.true(wrappingAlgorithmFits(A.RSA_AES_KEY_WRAP_SHA_1, spec, wrappingSpec), at);
      t.true(wrappingAlgorithmFits(A.RSA_AES_KEY_WRAP_SHA_256, spec, wrappingSpec), at);
      const oaep = !isRsa(spec) && !(spec === KeySpec.ECC_NIST_P521 && wrappingSpec === W.RSA_2048);
      t.is(wrappingAlgorithmFits(A.RSAES_OAEP_SHA_1, spec, wrappingSpec), oaep, at);
      t.is(wrappingAlgorithmFits(A.RSAES_OAEP_SHA_256, spec, wrappingSpec), oaep, at);
      t.false(wrappingAlgorithmFits(A.RSAES_PKCS1_V1_5, spec, wrappingSpec), at);
      t.false(wrappingAlgorithmFits(A.SM2PKE, spec, wrappingSpec), at);
      t.false(wrappingAlgorithmFits(A.UNSPECIFIED, spec, wrappingSpec), at);
    }
  }
  for (const spec of [KeySpec.ML_DSA_44, KeySpec.ML_DSA_65, KeySpec.ML_DSA_87, KeySpec.ECC_NIST_EDWARDS25519, KeySpec.SM2, KeySpec.UNSPECIFIED]) {
    t.false(isImportableKeySpec(spec), KeySpec[spec]);
    for (const algorithm of ALGORITHMS) t.false(wrappingAlgorithmFits(algorithm, spec), `${KeySpec[spec]} ${A[algorithm]}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Material checks.
// ---------------------------------------------------------------------------------------------

test("material checks: SYMMETRIC_DEFAULT is exactly 32 bytes; HMAC_<n> takes n bits to 1024 bits", (t) => {
  for (const n of [0, 16, 31, 33, 64]) t.regex(checkImportedMaterial(KeySpec.SYMMETRIC_DEFAULT, randomBytes(n)) ?? "", /must be 32 bytes/, `${n} bytes`);
  t.is(checkImportedMaterial(KeySpec.SYMMETRIC_DEFAULT, randomBytes(32)), undefined);
  for (const [spec, min] of [[KeySpec.HMAC_224, 28], [KeySpec.HMAC_256, 32], [KeySpec.HMAC_384, 48], [KeySpec.HMAC_512, 64]] as const) {
    for (const n of [min, min + 1, 100, 128]) t.is(checkImportedMaterial(spec, randomBytes(n)), undefined, `${KeySpec[spec]} ${n}`);
    for (const n of [0, min - 1, 129, 256]) t.regex(checkImportedMaterial(spec, randomBytes(n)) ?? "", new RegExp(`must be ${min} to 128 bytes, got ${n}`), `${KeySpec[spec]} ${n}`);
  }
});

test("material checks: PKCS#8 keys made by openssl fit their own spec only", async (t) => {
  const m = await materials();
  t.is(checkImportedMaterial(KeySpec.RSA_2048, m.rsa2048), undefined);
  t.is(checkImportedMaterial(KeySpec.ECC_NIST_P256, m.p256), undefined);
  t.is(checkImportedMaterial(KeySpec.ECC_NIST_P521, m.p521), undefined);
  t.is(checkImportedMaterial(KeySpec.ECC_NIST_P256, m.p256WithoutPublicKey), undefined, "the optional public key may be absent");
  t.regex(checkImportedMaterial(KeySpec.RSA_3072, m.rsa2048) ?? "", /RSA-2048 key, which does not match key spec RSA_3072/);
  t.regex(checkImportedMaterial(KeySpec.ECC_NIST_P256, m.rsa2048) ?? "", /does not match key spec ECC_NIST_P256/);
  t.regex(checkImportedMaterial(KeySpec.ECC_NIST_P384, m.p256) ?? "", /EC key on prime256v1, which does not match key spec ECC_NIST_P384/);
  t.regex(checkImportedMaterial(KeySpec.ECC_SECG_P256K1, m.p256) ?? "", /does not match/);
  t.regex(checkImportedMaterial(KeySpec.RSA_2048, m.p256) ?? "", /does not match/);
  // Raw-key specs take any bytes of the right length, so a PKCS#8 key there is only a length question.
  t.regex(checkImportedMaterial(KeySpec.SYMMETRIC_DEFAULT, m.p256) ?? "", /must be 32 bytes/);
});

test("material checks refuse what AWS refuses: multi-prime RSA, explicit curve parameters, a mismatched public key, non-PKCS#8 bytes, and specs AWS does not import", async (t) => {
  const m = await materials();
  t.regex(checkImportedMaterial(KeySpec.RSA_2048, m.multiPrimeRsa) ?? "", /Multi-prime RSA/);
  t.regex(checkImportedMaterial(KeySpec.ECC_NIST_P256, m.explicitP256) ?? "", /explicit curve parameters/);
  // The public point of another P-256 key in place of the key's own (both 65 bytes at the end).
  const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "der" });
  const mismatched = Buffer.concat([m.p256.subarray(0, m.p256.length - 65), other.subarray(other.length - 65)]);
  t.regex(checkImportedMaterial(KeySpec.ECC_NIST_P256, mismatched) ?? "", /not a consistent ECC_NIST_P256 key pair/);
  const notPkcs8 = /must be a DER-encoded PKCS#8 private key/;
  t.regex(checkImportedMaterial(KeySpec.ECC_NIST_P256, Buffer.concat([m.p256, Buffer.from([0])])) ?? "", notPkcs8, "trailing bytes");
  t.regex(checkImportedMaterial(KeySpec.ECC_NIST_P256, m.p256.subarray(0, m.p256.length - 1)) ?? "", notPkcs8, "truncated");
  t.regex(checkImportedMaterial(KeySpec.RSA_2048, flipBit(m.rsa2048, 9)) ?? "", notPkcs8, "a broken header");
  t.regex(checkImportedMaterial(KeySpec.RSA_2048, randomBytes(1218)) ?? "", notPkcs8);
  t.regex(checkImportedMaterial(KeySpec.RSA_2048, Buffer.alloc(0)) ?? "", notPkcs8);
  const pem = Buffer.from(createPrivateKey({ key: m.rsa2048, format: "der", type: "pkcs8" }).export({ type: "pkcs8", format: "pem" }));
  t.regex(checkImportedMaterial(KeySpec.RSA_2048, pem) ?? "", notPkcs8, "PEM is not the binary format AWS asks for");
  const pkcs1 = createPrivateKey({ key: m.rsa2048, format: "der", type: "pkcs8" }).export({ type: "pkcs1", format: "der" });
  t.regex(checkImportedMaterial(KeySpec.RSA_2048, pkcs1) ?? "", notPkcs8, "PKCS#1 is not PKCS#8");
  // Not importable at all, whatever the bytes.
  t.regex(checkImportedMaterial(KeySpec.ECC_NIST_EDWARDS25519, m.ed25519) ?? "", /cannot be imported into ECC_NIST_EDWARDS25519 keys/);
  for (const spec of [KeySpec.ML_DSA_44, KeySpec.ML_DSA_65, KeySpec.ML_DSA_87, KeySpec.SM2, KeySpec.UNSPECIFIED]) {
    t.regex(checkImportedMaterial(spec, randomBytes(32)) ?? "", /cannot be imported/, KeySpec[spec]);
  }
});

test("publicKeyOfImported matches `openssl pkey -pubout`; canonical material is one PKCS#8 DER per key", async (t) => {
  const m = await materials();
  for (const [spec, pkcs8, name] of [[KeySpec.RSA_2048, m.rsa2048, "rsa2048"], [KeySpec.ECC_NIST_P256, m.p256, "p256"], [KeySpec.ECC_NIST_P521, m.p521, "p521"]] as const) {
    const theirs = await mustOpenssl(["pkey", "-inform", "DER", "-in", await file(`${name}.der`), "-pubout", "-outform", "DER"]);
    t.deepEqual(publicKeyOfImported(spec, pkcs8), theirs, KeySpec[spec]);
    t.deepEqual(canonicalImportedMaterial(spec, pkcs8), pkcs8, "openssl's DER is already canonical");
  }
  // The same P-256 key without its optional public key (`openssl ec -no_public`) canonicalizes to openssl's full form.
  await mustOpenssl(["ec", "-in", await file("p256.pem"), "-no_public", "-out", await file("p256-stripped.pem")]);
  const stripped = await mustOpenssl(["pkcs8", "-topk8", "-nocrypt", "-in", await file("p256-stripped.pem"), "-outform", "DER"]);
  t.true(stripped.length < m.p256.length);
  t.is(checkImportedMaterial(KeySpec.ECC_NIST_P256, stripped), undefined);
  t.deepEqual(canonicalImportedMaterial(KeySpec.ECC_NIST_P256, stripped), m.p256);
  t.deepEqual(publicKeyOfImported(KeySpec.ECC_NIST_P256, stripped), publicKeyOfImported(KeySpec.ECC_NIST_P256, m.p256));
  const full = canonicalImportedMaterial(KeySpec.ECC_NIST_P256, m.p256WithoutPublicKey);
  t.true(full.length > m.p256WithoutPublicKey.length);
  t.is(checkImportedMaterial(KeySpec.ECC_NIST_P256, full), undefined);
  t.deepEqual(canonicalImportedMaterial(KeySpec.SYMMETRIC_DEFAULT, m.symmetric), m.symmetric, "raw material is kept as it is");
  t.throws(() => canonicalImportedMaterial(KeySpec.ECC_NIST_P256, m.explicitP256), { instanceOf: TypeError });
});

// ---------------------------------------------------------------------------------------------
// Import tokens.
// ---------------------------------------------------------------------------------------------

const TOKEN_KEY = randomBytes(32);
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const REGION = "us-east-1";
const NOW = 1_700_000_000_000;
const expected = { region: REGION, keyId: KEY_ID };

async function tokenFields(spec: W = W.RSA_2048): Promise<ImportTokenFields> {
  return {
    region: REGION,
    keyId: KEY_ID,
    wrappingPrivateKeyPkcs8Der: (await wrappingKey(spec)).privateKeyPkcs8Der,
    algorithm: A.RSA_AES_KEY_WRAP_SHA_256,
    wrappingKeySpec: spec,
    expiresAt: NOW + IMPORT_TOKEN_VALIDITY_MS,
  };
}

/** "ok", the exception name of a KmsError, or a description of any other error. */
function tokenOutcome(token: Uint8Array, exp = expected, now = NOW, key: Uint8Array = TOKEN_KEY): string {
  try {
    openImportToken(key, token, exp, now);
    return "ok";
  } catch (error) {
    if (error instanceof KmsError) return error.exception;
    return `unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

test("import token: round trip of every field; a version byte first; 24-hour validity; RSA-4096 tokens within the size limit", async (t) => {
  const fields = await tokenFields();
  const token = sealImportToken(TOKEN_KEY, fields);
  t.is(token[0], 1);
  t.deepEqual(openImportToken(TOKEN_KEY, token, expected, NOW), fields);
  t.deepEqual(openImportToken(TOKEN_KEY, token, expected, fields.expiresAt), fields, "valid up to and including expiresAt");
  t.notDeepEqual(sealImportToken(TOKEN_KEY, fields), token, "a fresh IV each time");
  t.is(IMPORT_TOKEN_VALIDITY_MS, 86_400_000);
  const big = sealImportToken(TOKEN_KEY, await tokenFields(W.RSA_4096));
  t.true(big.length < MAX_IMPORT_TOKEN_BYTES, `${big.length} bytes`);
  t.is(openImportToken(TOKEN_KEY, big, expected, NOW).wrappingKeySpec, W.RSA_4096);
  // The unwrapping key in the token unwraps what its public half wrapped.
  const opened = openImportToken(TOKEN_KEY, token, expected, NOW);
  const material = randomBytes(32);
  const wrapped = wrapMaterialForImport(opened.algorithm, (await wrappingKey(W.RSA_2048)).publicKeySpkiDer, material);
  t.deepEqual(unwrapImportedMaterial(opened.algorithm, opened.wrappingPrivateKeyPkcs8Der, wrapped), material);
});

test("import token: expired after expiresAt; another key, region or token key is invalid; expiry is checked only once it authenticates", async (t) => {
  const fields = await tokenFields();
  const token = sealImportToken(TOKEN_KEY, fields);
  throwsKms(t, () => openImportToken(TOKEN_KEY, token, expected, fields.expiresAt + 1), "ExpiredImportTokenException");
  t.is(tokenOutcome(token, { region: REGION, keyId: "1234abcd-12ab-34cd-56ef-1234567890ac" }), "InvalidImportTokenException");
  t.is(tokenOutcome(token, { region: "us-east-2", keyId: KEY_ID }), "InvalidImportTokenException");
  t.is(tokenOutcome(token, { region: "US-EAST-1", keyId: KEY_ID }), "InvalidImportTokenException");
  t.is(tokenOutcome(token, { region: REGION + KEY_ID, keyId: "" }), "InvalidImportTokenException", "the binding is not a plain concatenation");
  t.is(tokenOutcome(token, expected, NOW, randomBytes(32)), "InvalidImportTokenException");
  // Tampered and expired: invalid, not expired.
  t.is(tokenOutcome(flipBit(token, -1), expected, fields.expiresAt + 1), "InvalidImportTokenException");
  t.is(tokenOutcome(token, { region: "eu-west-1", keyId: KEY_ID }, fields.expiresAt + 1), "InvalidImportTokenException");
  // A wrong-sized token key is a server fault.
  t.throws(() => sealImportToken(randomBytes(16), fields), { instanceOf: TypeError });
  t.throws(() => openImportToken(randomBytes(31), token, expected, NOW), { instanceOf: TypeError });
  t.throws(() => sealImportToken(TOKEN_KEY, { ...fields, expiresAt: 1.5 }), { instanceOf: TypeError });
});

test("import token: every single-bit flip and every truncation is InvalidImportTokenException (exhaustive)", async (t) => {
  const token = sealImportToken(TOKEN_KEY, await tokenFields());
  const outcomes = new Set<string>();
  for (let i = 0; i < token.length; i++) {
    for (let bit = 0; bit < 8; bit++) outcomes.add(tokenOutcome(flipBit(token, i, bit)));
    outcomes.add(tokenOutcome(token.subarray(0, i)));
  }
  outcomes.add(tokenOutcome(Buffer.concat([token, Buffer.from([0])])));
  t.deepEqual([...outcomes], ["InvalidImportTokenException"]);
});

test("import token parser: any bytes are InvalidImportTokenException, never another error (fuzz)", async (t) => {
  const valid = sealImportToken(TOKEN_KEY, await tokenFields());
  // Arbitrary bytes rarely start like a token, so half are "nearly valid": version 1 (mostly), then random bytes of token-like lengths.
  const nearlyValid = fc
    .tuple(fc.constantFrom(1, 1, 1, 0, 2, 255), fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.uint8Array({ minLength: 1200, maxLength: 1300 })))
    .map(([version, rest]) => new Uint8Array(Buffer.concat([Buffer.from([version]), Buffer.from(rest)])));
  const oversized = fc.integer({ min: MAX_IMPORT_TOKEN_BYTES + 1, max: MAX_IMPORT_TOKEN_BYTES + 64 }).map((n) => new Uint8Array(Buffer.concat([valid, Buffer.alloc(n - valid.length)])));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 300 }), nearlyValid, oversized), fc.constantFrom(NOW, Number.MAX_SAFE_INTEGER), (bytes, now) => {
      const outcome = tokenOutcome(bytes, expected, now);
      if (outcome !== "InvalidImportTokenException") throw new Error(`gave ${outcome}`);
    }),
    { numRuns: 1000 },
  );
  // Mutations of a valid token: splice random bytes in, at any place.
  fc.assert(
    fc.property(fc.nat(), fc.nat({ max: 40 }), fc.uint8Array({ minLength: 0, maxLength: 40 }), (at, removed, inserted) => {
      const i = at % valid.length;
      const mutated = Buffer.concat([valid.subarray(0, i), Buffer.from(inserted), valid.subarray(Math.min(valid.length, i + removed))]);
      fc.pre(!mutated.equals(valid));
      const outcome = tokenOutcome(mutated, expected, Number.MAX_SAFE_INTEGER);
      if (outcome !== "InvalidImportTokenException") throw new Error(`gave ${outcome}`);
    }),
    { numRuns: 1000 },
  );
  t.is(tokenOutcome(valid), "ok");
});
