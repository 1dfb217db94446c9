import test from "ava";
import { execFile } from "node:child_process";
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EncryptionAlgorithmSpec as E, KeySpec, KeyUsage } from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, expectFailure, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { sharedKeys, type SharedKey } from "./support/shared-keys.js";

// RSA ENCRYPT_DECRYPT keys end to end: ciphertexts made OUTSIDE the server (openssl CLI, node's
// publicEncrypt) from the GetPublicKey SPKI decrypt inside, and the server's own ciphertexts
// round-trip at exactly the OAEP cap. Each RSA key is created once and shared.

const run = promisify(execFile);

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const admin = (): KmsClient => connectGrpc.connect(server);

const rsaSpecs = [KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096] as const;
const oaepAlgorithms = [E.RSAES_OAEP_SHA_1, E.RSAES_OAEP_SHA_256] as const;

/** Modulus sizes and the AWS-documented OAEP plaintext caps (k - 2*hLen - 2), written out independently. */
const modulusBytesBySpec = new Map<KeySpec, number>([
  [KeySpec.RSA_2048, 256],
  [KeySpec.RSA_3072, 384],
  [KeySpec.RSA_4096, 512],
]);
const modulusBytes = (spec: KeySpec): number => modulusBytesBySpec.get(spec)!;
const awsCaps = new Map<string, number>([
  [`${KeySpec.RSA_2048}/${E.RSAES_OAEP_SHA_1}`, 214],
  [`${KeySpec.RSA_2048}/${E.RSAES_OAEP_SHA_256}`, 190],
  [`${KeySpec.RSA_3072}/${E.RSAES_OAEP_SHA_1}`, 342],
  [`${KeySpec.RSA_3072}/${E.RSAES_OAEP_SHA_256}`, 318],
  [`${KeySpec.RSA_4096}/${E.RSAES_OAEP_SHA_1}`, 470],
  [`${KeySpec.RSA_4096}/${E.RSAES_OAEP_SHA_256}`, 446],
]);
const capOf = (spec: KeySpec, algorithm: E): number => awsCaps.get(`${spec}/${algorithm}`)!;
const oaepHash = (algorithm: E): "sha1" | "sha256" => (algorithm === E.RSAES_OAEP_SHA_1 ? "sha1" : "sha256");
const otherHash = (algorithm: E): E => (algorithm === E.RSAES_OAEP_SHA_1 ? E.RSAES_OAEP_SHA_256 : E.RSAES_OAEP_SHA_1);
const label = (spec: KeySpec, algorithm: E): string => `${KeySpec[spec]} ${E[algorithm]}`;

type Key = SharedKey;

const sharedKey = sharedKeys(() => admin(), "rsa-encryption");
const keyOf = (spec: KeySpec, usage: KeyUsage = KeyUsage.ENCRYPT_DECRYPT): Promise<Key> => sharedKey(spec, usage);
const symmetricKey = (): Promise<Key> => keyOf(KeySpec.SYMMETRIC_DEFAULT);

const publicKeys = new Map<string, Promise<Uint8Array>>();
function publicKeyOf(key: Key): Promise<Uint8Array> {
  let der = publicKeys.get(key.keyId);
  if (!der) {
    der = admin()
      .getPublicKey({ keyId: key.keyId })
      .then((r) => r.publicKey);
    publicKeys.set(key.keyId, der);
  }
  return der;
}
const pemOf = (spki: Uint8Array): string => createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }).export({ type: "spki", format: "pem" }).toString();

/** Runs a function with a fresh temp dir that is removed afterwards. */
async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "kms-rsa-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Encrypts with `openssl pkeyutl` under the PEM public key, RSA-OAEP with the hash for both OAEP and MGF1. */
function opensslEncrypt(publicKeyPem: string, plaintext: Uint8Array, hash: "sha1" | "sha256"): Promise<Buffer> {
  return inTempDir(async (dir) => {
    const pub = join(dir, "pub.pem");
    const input = join(dir, "plain.bin");
    const output = join(dir, "cipher.bin");
    await writeFile(pub, publicKeyPem);
    await writeFile(input, plaintext);
    await run("openssl", [
      "pkeyutl", "-encrypt", "-pubin", "-inkey", pub,
      "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", `rsa_oaep_md:${hash}`, "-pkeyopt", `rsa_mgf1_md:${hash}`,
      "-in", input, "-out", output,
    ]);
    return readFile(output);
  });
}

function nodeEncrypt(spki: Uint8Array, plaintext: Uint8Array, hash: "sha1" | "sha256"): Buffer {
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, plaintext);
}

/** A copy with one bit of byte `index` inverted. */
function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Public key

test("GetPublicKey of each RSA encryption key is an RSA SPKI of the key's size with both OAEP algorithms listed", async (t) => {
  for (const spec of rsaSpecs) {
    const key = await keyOf(spec);
    const res = await admin().getPublicKey({ keyId: key.keyId });
    t.is(res.keyId, key.arn, KeySpec[spec]);
    t.is(res.keySpec, spec);
    t.is(res.keyUsage, KeyUsage.ENCRYPT_DECRYPT);
    t.deepEqual([...res.encryptionAlgorithms].sort(), [E.RSAES_OAEP_SHA_1, E.RSAES_OAEP_SHA_256]);
    t.deepEqual(res.signingAlgorithms, []);
    const publicKey = createPublicKey({ key: Buffer.from(res.publicKey), format: "der", type: "spki" });
    t.is(publicKey.asymmetricKeyType, "rsa");
    t.is(publicKey.asymmetricKeyDetails?.modulusLength, modulusBytes(spec) * 8, `${KeySpec[spec]} modulus`);
    const described = await admin().describeKey({ keyId: key.keyId });
    t.is(described.keyMetadata!.keySpec, spec);
    t.deepEqual([...described.keyMetadata!.encryptionAlgorithms].sort(), [E.RSAES_OAEP_SHA_1, E.RSAES_OAEP_SHA_256]);
  }
});

// ---------------------------------------------------------------------------------------------
// Outside encryptors, inside Decrypt

for (const spec of rsaSpecs) {
  for (const algorithm of oaepAlgorithms) {
    test(`${label(spec, algorithm)}: plaintext encrypted by the openssl CLI with the GetPublicKey SPKI decrypts inside`, async (t) => {
      const key = await keyOf(spec);
      const spki = await publicKeyOf(key);
      for (const size of [1, 32, capOf(spec, algorithm)]) {
        const plaintext = randomBytes(size);
        const ciphertextBlob = await opensslEncrypt(pemOf(spki), plaintext, oaepHash(algorithm));
        t.is(ciphertextBlob.length, modulusBytes(spec), "openssl output is one modulus long");
        const dec = await admin().decrypt({ ciphertextBlob, keyId: key.keyId, encryptionAlgorithm: algorithm });
        t.deepEqual(Buffer.from(dec.plaintext), plaintext, `${size} bytes`);
        t.is(dec.keyId, key.arn);
        t.is(dec.encryptionAlgorithm, algorithm);
      }
    });

    test(`${label(spec, algorithm)}: plaintext encrypted by node's publicEncrypt with oaepHash decrypts inside`, async (t) => {
      const key = await keyOf(spec);
      const spki = await publicKeyOf(key);
      const plaintext = randomBytes(capOf(spec, algorithm));
      const ciphertextBlob = nodeEncrypt(spki, plaintext, oaepHash(algorithm));
      const dec = await admin().decrypt({ ciphertextBlob, keyId: key.arn, encryptionAlgorithm: algorithm });
      t.deepEqual(Buffer.from(dec.plaintext), plaintext);
      t.is(dec.keyId, key.arn);
      t.is(dec.encryptionAlgorithm, algorithm);
    });

    test(`${label(spec, algorithm)}: Encrypt then Decrypt inside at exactly the cap; one byte more is ValidationException`, async (t) => {
      const kms = admin();
      const key = await keyOf(spec);
      const cap = capOf(spec, algorithm);
      const plaintext = randomBytes(cap);
      const enc = await kms.encrypt({ keyId: key.keyId, plaintext, encryptionAlgorithm: algorithm });
      t.is(enc.ciphertextBlob.length, modulusBytes(spec), "the ciphertext is the raw OAEP output, one modulus long");
      t.is(enc.keyId, key.arn);
      t.is(enc.encryptionAlgorithm, algorithm);
      const again = await kms.encrypt({ keyId: key.keyId, plaintext, encryptionAlgorithm: algorithm });
      t.notDeepEqual(Buffer.from(again.ciphertextBlob), Buffer.from(enc.ciphertextBlob), "OAEP is randomized");
      const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, keyId: key.keyId, encryptionAlgorithm: algorithm });
      t.deepEqual(Buffer.from(dec.plaintext), plaintext);
      t.is(dec.encryptionAlgorithm, algorithm);
      await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: randomBytes(cap + 1), encryptionAlgorithm: algorithm }), "ValidationException", `cap+1 = ${cap + 1} bytes`);
    });
  }
}

for (const kind of allClients) {
  test(`${kind.name}: RSA_2048 Encrypt/Decrypt round trip with both OAEP hashes, and openssl ciphertext decrypts`, async (t) => {
    const kms = kind.connect(server);
    const key = await keyOf(KeySpec.RSA_2048);
    for (const algorithm of oaepAlgorithms) {
      const plaintext = new TextEncoder().encode(`hello ${kind.name} ${E[algorithm]}`);
      const enc = await kms.encrypt({ keyId: key.keyId, plaintext, encryptionAlgorithm: algorithm });
      t.is(enc.ciphertextBlob.length, 256);
      t.is(enc.encryptionAlgorithm, algorithm);
      const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, keyId: key.keyId, encryptionAlgorithm: algorithm });
      t.deepEqual(Buffer.from(dec.plaintext), Buffer.from(plaintext), E[algorithm]);
      const outside = await opensslEncrypt(pemOf((await kms.getPublicKey({ keyId: key.keyId })).publicKey), plaintext, oaepHash(algorithm));
      const fromOutside = await kms.decrypt({ ciphertextBlob: outside, keyId: key.keyId, encryptionAlgorithm: algorithm });
      t.deepEqual(Buffer.from(fromOutside.plaintext), Buffer.from(plaintext), `${E[algorithm]} from openssl`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Refusals

test("Encrypt with an RSA key and no encryption_algorithm (or SYMMETRIC_DEFAULT) is InvalidKeyUsageException", async (t) => {
  const key = await keyOf(KeySpec.RSA_2048);
  const plaintext = randomBytes(16);
  await expectFailure(t, admin().encrypt({ keyId: key.keyId, plaintext }), "InvalidKeyUsageException", "UNSPECIFIED");
  await expectFailure(t, admin().encrypt({ keyId: key.keyId, plaintext, encryptionAlgorithm: E.SYMMETRIC_DEFAULT }), "InvalidKeyUsageException", "SYMMETRIC_DEFAULT");
});

test("Encrypt with an RSA key and an encryption context is ValidationException", async (t) => {
  const key = await keyOf(KeySpec.RSA_2048);
  await expectFailure(
    t,
    admin().encrypt({ keyId: key.keyId, plaintext: randomBytes(16), encryptionAlgorithm: E.RSAES_OAEP_SHA_256, encryptionContext: { purpose: "test" } }),
    "ValidationException",
    "encryption context with RSA",
  );
});

test("Decrypt of an RSA ciphertext without key_id is InvalidCiphertextException", async (t) => {
  const key = await keyOf(KeySpec.RSA_2048);
  const { ciphertextBlob } = await admin().encrypt({ keyId: key.keyId, plaintext: randomBytes(16), encryptionAlgorithm: E.RSAES_OAEP_SHA_256 });
  await expectFailure(t, admin().decrypt({ ciphertextBlob, encryptionAlgorithm: E.RSAES_OAEP_SHA_256 }), "InvalidCiphertextException", "no key_id, algorithm given");
  await expectFailure(t, admin().decrypt({ ciphertextBlob }), "InvalidCiphertextException", "no key_id, no algorithm");
});

test("Decrypt with an RSA key_id and SYMMETRIC_DEFAULT or no algorithm is InvalidKeyUsageException", async (t) => {
  const key = await keyOf(KeySpec.RSA_2048);
  const { ciphertextBlob } = await admin().encrypt({ keyId: key.keyId, plaintext: randomBytes(16), encryptionAlgorithm: E.RSAES_OAEP_SHA_256 });
  await expectFailure(t, admin().decrypt({ ciphertextBlob, keyId: key.keyId, encryptionAlgorithm: E.SYMMETRIC_DEFAULT }), "InvalidKeyUsageException", "SYMMETRIC_DEFAULT");
  await expectFailure(t, admin().decrypt({ ciphertextBlob, keyId: key.keyId }), "InvalidKeyUsageException", "UNSPECIFIED");
});

test("Decrypt with the other OAEP hash, or of tampered bytes, is InvalidCiphertextException with one and the same message", async (t) => {
  const key = await keyOf(KeySpec.RSA_3072);
  const messages: string[] = [];
  for (const algorithm of oaepAlgorithms) {
    const { ciphertextBlob } = await admin().encrypt({ keyId: key.keyId, plaintext: randomBytes(48), encryptionAlgorithm: algorithm });
    messages.push(await expectFailure(t, admin().decrypt({ ciphertextBlob, keyId: key.keyId, encryptionAlgorithm: otherHash(algorithm) }), "InvalidCiphertextException", `${E[algorithm]} decrypted as ${E[otherHash(algorithm)]}`));
    for (const index of [0, 100, ciphertextBlob.length - 1]) {
      messages.push(await expectFailure(t, admin().decrypt({ ciphertextBlob: flipBit(ciphertextBlob, index), keyId: key.keyId, encryptionAlgorithm: algorithm }), "InvalidCiphertextException", `${E[algorithm]} bit flipped in byte ${index}`));
    }
    // A ciphertext made outside (node) and then tampered with are refused the same way.
    const outside = nodeEncrypt(await publicKeyOf(key), randomBytes(8), oaepHash(algorithm));
    messages.push(await expectFailure(t, admin().decrypt({ ciphertextBlob: flipBit(outside, 200), keyId: key.keyId, encryptionAlgorithm: algorithm }), "InvalidCiphertextException", `${E[algorithm]} node ciphertext tampered`));
  }
  t.is(new Set(messages).size, 1, `every RSA decrypt failure reads the same: ${JSON.stringify([...new Set(messages)])}`);
});

test("a SIGN_VERIFY RSA key used for Encrypt is InvalidKeyUsageException", async (t) => {
  const key = await keyOf(KeySpec.RSA_2048, KeyUsage.SIGN_VERIFY);
  for (const algorithm of [...oaepAlgorithms, E.SYMMETRIC_DEFAULT]) {
    await expectFailure(t, admin().encrypt({ keyId: key.keyId, plaintext: randomBytes(16), encryptionAlgorithm: algorithm }), "InvalidKeyUsageException", E[algorithm]);
  }
});

test("GenerateDataKey and GenerateDataKeyWithoutPlaintext with an RSA key are InvalidKeyUsageException", async (t) => {
  const key = await keyOf(KeySpec.RSA_2048);
  await expectFailure(t, admin().generateDataKey({ keyId: key.keyId, numberOfBytes: 32 }), "InvalidKeyUsageException", "GenerateDataKey");
  await expectFailure(t, admin().generateDataKeyWithoutPlaintext({ keyId: key.keyId, numberOfBytes: 32 }), "InvalidKeyUsageException", "GenerateDataKeyWithoutPlaintext");
});

// ---------------------------------------------------------------------------------------------
// ReEncrypt across key types

test("ReEncrypt from an RSA ciphertext to a symmetric key, then Decrypt, gives the plaintext", async (t) => {
  const kms = admin();
  const rsa = await keyOf(KeySpec.RSA_2048);
  const symmetric = await symmetricKey();
  const plaintext = randomBytes(100);
  const ciphertextBlob = await opensslEncrypt(pemOf(await publicKeyOf(rsa)), plaintext, "sha256");
  const re = await kms.reEncrypt({
    ciphertextBlob,
    sourceKeyId: rsa.keyId,
    sourceEncryptionAlgorithm: E.RSAES_OAEP_SHA_256,
    destinationKeyId: symmetric.keyId,
    destinationEncryptionContext: { moved: "from-rsa" },
  });
  t.is(re.sourceKeyId, rsa.arn);
  t.is(re.keyId, symmetric.arn);
  t.is(re.sourceEncryptionAlgorithm, E.RSAES_OAEP_SHA_256);
  t.is(re.destinationEncryptionAlgorithm, E.SYMMETRIC_DEFAULT);
  const dec = await kms.decrypt({ ciphertextBlob: re.ciphertextBlob, encryptionContext: { moved: "from-rsa" } });
  t.deepEqual(Buffer.from(dec.plaintext), plaintext);
  t.is(dec.keyId, symmetric.arn);
});

test("ReEncrypt from a symmetric ciphertext to an RSA key, then Decrypt with the RSA key, gives the plaintext", async (t) => {
  const kms = admin();
  const rsa = await keyOf(KeySpec.RSA_3072);
  const symmetric = await symmetricKey();
  const plaintext = randomBytes(200);
  const context = { origin: "symmetric" };
  const enc = await kms.encrypt({ keyId: symmetric.keyId, plaintext, encryptionContext: context });
  const re = await kms.reEncrypt({
    ciphertextBlob: enc.ciphertextBlob,
    sourceEncryptionContext: context,
    destinationKeyId: rsa.keyId,
    destinationEncryptionAlgorithm: E.RSAES_OAEP_SHA_1,
  });
  t.is(re.sourceKeyId, symmetric.arn);
  t.is(re.keyId, rsa.arn);
  t.is(re.destinationEncryptionAlgorithm, E.RSAES_OAEP_SHA_1);
  t.is(re.ciphertextBlob.length, 384, "an RSA_3072 OAEP ciphertext");
  const dec = await kms.decrypt({ ciphertextBlob: re.ciphertextBlob, keyId: rsa.keyId, encryptionAlgorithm: E.RSAES_OAEP_SHA_1 });
  t.deepEqual(Buffer.from(dec.plaintext), plaintext);
  t.is(dec.keyId, rsa.arn);
  // The plaintext never appears in what crossed the wire.
  t.false(Buffer.from(re.ciphertextBlob).includes(plaintext.subarray(0, 32)));
});

test("ReEncrypt between two RSA keys changes the key and the OAEP hash", async (t) => {
  const kms = admin();
  const from = await keyOf(KeySpec.RSA_2048);
  const to = await keyOf(KeySpec.RSA_4096);
  const plaintext = randomBytes(150);
  const ciphertextBlob = nodeEncrypt(await publicKeyOf(from), plaintext, "sha1");
  const re = await kms.reEncrypt({
    ciphertextBlob,
    sourceKeyId: from.arn,
    sourceEncryptionAlgorithm: E.RSAES_OAEP_SHA_1,
    destinationKeyId: to.keyId,
    destinationEncryptionAlgorithm: E.RSAES_OAEP_SHA_256,
  });
  t.is(re.sourceKeyId, from.arn);
  t.is(re.keyId, to.arn);
  t.is(re.ciphertextBlob.length, 512);
  const dec = await kms.decrypt({ ciphertextBlob: re.ciphertextBlob, keyId: to.keyId, encryptionAlgorithm: E.RSAES_OAEP_SHA_256 });
  t.deepEqual(Buffer.from(dec.plaintext), plaintext);
});

test("ReEncrypt refusals: RSA source without source_key_id or with the wrong hash, RSA destination without an algorithm or with a context", async (t) => {
  const kms = admin();
  const rsa = await keyOf(KeySpec.RSA_2048);
  const symmetric = await symmetricKey();
  const rsaCiphertext = nodeEncrypt(await publicKeyOf(rsa), randomBytes(16), "sha256");
  await expectFailure(t, kms.reEncrypt({ ciphertextBlob: rsaCiphertext, sourceEncryptionAlgorithm: E.RSAES_OAEP_SHA_256, destinationKeyId: symmetric.keyId }), "InvalidCiphertextException", "RSA source without source_key_id");
  await expectFailure(
    t,
    kms.reEncrypt({ ciphertextBlob: rsaCiphertext, sourceKeyId: rsa.keyId, sourceEncryptionAlgorithm: E.RSAES_OAEP_SHA_1, destinationKeyId: symmetric.keyId }),
    "InvalidCiphertextException",
    "RSA source with the other OAEP hash",
  );
  const { ciphertextBlob } = await kms.encrypt({ keyId: symmetric.keyId, plaintext: randomBytes(16) });
  await expectFailure(t, kms.reEncrypt({ ciphertextBlob, destinationKeyId: rsa.keyId }), "InvalidKeyUsageException", "RSA destination without destination_encryption_algorithm");
  await expectFailure(
    t,
    kms.reEncrypt({ ciphertextBlob, destinationKeyId: rsa.keyId, destinationEncryptionAlgorithm: E.RSAES_OAEP_SHA_256, destinationEncryptionContext: { a: "b" } }),
    "ValidationException",
    "RSA destination with an encryption context",
  );
});
