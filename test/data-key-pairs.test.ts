import test, { type ExecutionContext } from "ava";
import { execFile } from "node:child_process";
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DataKeyPairSpec, KeySpec, KeyUsage } from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, expectFailure, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { sharedKeys, type SharedKey } from "./support/shared-keys.js";

// GenerateDataKeyPair / GenerateDataKeyPairWithoutPlaintext end to end: the pair is checked with
// the openssl CLI and node:crypto, and the encrypted private key with Decrypt.

const run = promisify(execFile);

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const admin = (): KmsClient => connectGrpc.connect(server);

/** What each pair spec must produce: node's key type, RSA modulus bits or EC curve, and the digest to sign with. */
interface Expected {
  readonly spec: DataKeyPairSpec;
  readonly type: "rsa" | "ec" | "ed25519";
  readonly modulusLength?: number;
  readonly namedCurve?: string;
  readonly digest: string | null;
}
const pairSpecs: readonly Expected[] = [
  { spec: DataKeyPairSpec.RSA_2048, type: "rsa", modulusLength: 2048, digest: "sha256" },
  { spec: DataKeyPairSpec.RSA_3072, type: "rsa", modulusLength: 3072, digest: "sha384" },
  { spec: DataKeyPairSpec.RSA_4096, type: "rsa", modulusLength: 4096, digest: "sha512" },
  { spec: DataKeyPairSpec.ECC_NIST_P256, type: "ec", namedCurve: "prime256v1", digest: "sha256" },
  { spec: DataKeyPairSpec.ECC_NIST_P384, type: "ec", namedCurve: "secp384r1", digest: "sha384" },
  { spec: DataKeyPairSpec.ECC_NIST_P521, type: "ec", namedCurve: "secp521r1", digest: "sha512" },
  { spec: DataKeyPairSpec.ECC_SECG_P256K1, type: "ec", namedCurve: "secp256k1", digest: "sha256" },
  { spec: DataKeyPairSpec.ECC_NIST_EDWARDS25519, type: "ed25519", digest: null },
];

type Key = SharedKey;

const sharedKey = sharedKeys(() => admin(), "data-key-pairs");
const keyOf = (spec: KeySpec = KeySpec.SYMMETRIC_DEFAULT, usage: KeyUsage = KeyUsage.ENCRYPT_DECRYPT): Promise<Key> => sharedKey(spec, usage);

/** The DER SPKI `openssl pkey` derives from a DER PKCS#8 private key (it fails if openssl cannot read the key). */
async function opensslPublicOf(pkcs8: Uint8Array): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "kms-dkp-"));
  try {
    await writeFile(join(dir, "private.der"), pkcs8);
    await run("openssl", ["pkey", "-inform", "DER", "-in", join(dir, "private.der"), "-pubout", "-outform", "DER", "-out", join(dir, "public.der")]);
    return await readFile(join(dir, "public.der"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Asserts the SPKI is a public key of the expected type and size, and returns it. */
function checkPublicKey(t: ExecutionContext, spki: Uint8Array, expected: Expected): KeyObject {
  const publicKey = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  t.is(publicKey.type, "public");
  t.is(publicKey.asymmetricKeyType, expected.type, "key type");
  if (expected.modulusLength !== undefined) t.is(publicKey.asymmetricKeyDetails?.modulusLength, expected.modulusLength, "modulus bits");
  if (expected.namedCurve !== undefined) t.is(publicKey.asymmetricKeyDetails?.namedCurve, expected.namedCurve, "curve");
  // Re-encoding the parsed key gives the same bytes: it was canonical DER SPKI.
  t.deepEqual(publicKey.export({ type: "spki", format: "der" }), Buffer.from(spki), "canonical DER SubjectPublicKeyInfo");
  return publicKey;
}

/** Asserts the PKCS#8 bytes are the private half of the SPKI (openssl and node agree) and that the pair signs/verifies. */
async function checkPrivateKey(t: ExecutionContext, pkcs8: Uint8Array, spki: Uint8Array, publicKey: KeyObject, expected: Expected): Promise<void> {
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  t.is(privateKey.asymmetricKeyType, expected.type);
  t.deepEqual(createPublicKey(privateKey).export({ type: "spki", format: "der" }), Buffer.from(spki), "node: public half of the private key = public_key");
  t.deepEqual(await opensslPublicOf(pkcs8), Buffer.from(spki), "openssl: public half of the private key = public_key");
  const message = Buffer.from(`data key pair ${DataKeyPairSpec[expected.spec]}`);
  const signature = sign(expected.digest, message, privateKey);
  t.true(verify(expected.digest, message, publicKey, signature), "signs with the private key, verifies with the public key");
  t.false(verify(expected.digest, Buffer.from("another message"), publicKey, signature), "and not for another message");
}

// ---------------------------------------------------------------------------------------------

for (const expected of pairSpecs) {
  const name = DataKeyPairSpec[expected.spec];

  test(`${name}: GenerateDataKeyPair gives an SPKI, a PKCS#8 private key openssl reads and a ciphertext that decrypts to it`, async (t) => {
    const kms = admin();
    const key = await keyOf();
    const encryptionContext = { purpose: "data-key-pair", spec: name };
    const res = await kms.generateDataKeyPair({ keyId: key.keyId, keyPairSpec: expected.spec, encryptionContext });
    t.is(res.keyId, key.arn);
    t.is(res.keyPairSpec, expected.spec);
    t.true(res.keyMaterialId.length > 0, "names the key material that encrypted");
    const publicKey = checkPublicKey(t, res.publicKey, expected);
    await checkPrivateKey(t, res.privateKeyPlaintext, res.publicKey, publicKey, expected);

    t.false(Buffer.from(res.privateKeyCiphertextBlob).includes(Buffer.from(res.privateKeyPlaintext).subarray(-32)), "the private key is not in the blob in the clear");
    const dec = await kms.decrypt({ ciphertextBlob: res.privateKeyCiphertextBlob, encryptionContext });
    t.deepEqual(Buffer.from(dec.plaintext), Buffer.from(res.privateKeyPlaintext), "Decrypt gives exactly private_key_plaintext");
    t.is(dec.keyId, key.arn);
    await expectFailure(t, kms.decrypt({ ciphertextBlob: res.privateKeyCiphertextBlob }), "InvalidCiphertextException", "Decrypt without the encryption context");
  });

  test(`${name}: GenerateDataKeyPairWithoutPlaintext has no plaintext; its ciphertext decrypts to the private half of public_key`, async (t) => {
    const kms = admin();
    const key = await keyOf();
    const encryptionContext = { purpose: "without-plaintext" };
    const res = await kms.generateDataKeyPairWithoutPlaintext({ keyId: key.arn, keyPairSpec: expected.spec, encryptionContext });
    t.false("privateKeyPlaintext" in res, "the response message has no private_key_plaintext field");
    t.is(res.keyId, key.arn);
    t.is(res.keyPairSpec, expected.spec);
    const publicKey = checkPublicKey(t, res.publicKey, expected);
    const dec = await kms.decrypt({ ciphertextBlob: res.privateKeyCiphertextBlob, encryptionContext });
    await checkPrivateKey(t, dec.plaintext, res.publicKey, publicKey, expected);
  });
}

for (const kind of allClients) {
  test(`${kind.name}: ECC_NIST_P256 data key pair: both RPCs, and the private key decrypts through the same client`, async (t) => {
    const kms = kind.connect(server);
    const key = await keyOf();
    const expected = pairSpecs.find((p) => p.spec === DataKeyPairSpec.ECC_NIST_P256)!;
    const withPlaintext = await kms.generateDataKeyPair({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 });
    const publicKey = checkPublicKey(t, withPlaintext.publicKey, expected);
    const dec = await kms.decrypt({ ciphertextBlob: withPlaintext.privateKeyCiphertextBlob });
    t.deepEqual(Buffer.from(dec.plaintext), Buffer.from(withPlaintext.privateKeyPlaintext));
    await checkPrivateKey(t, withPlaintext.privateKeyPlaintext, withPlaintext.publicKey, publicKey, expected);

    const without = await kms.generateDataKeyPairWithoutPlaintext({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 });
    t.false("privateKeyPlaintext" in without);
    t.notDeepEqual(Buffer.from(without.publicKey), Buffer.from(withPlaintext.publicKey), "every call makes a fresh pair");
    const decWithout = await kms.decrypt({ ciphertextBlob: without.privateKeyCiphertextBlob });
    await checkPrivateKey(t, decWithout.plaintext, without.publicKey, checkPublicKey(t, without.publicKey, expected), expected);
  });
}

// ---------------------------------------------------------------------------------------------
// Refusals

test("key_pair_spec UNSPECIFIED is ValidationException for both RPCs", async (t) => {
  const key = await keyOf();
  await expectFailure(t, admin().generateDataKeyPair({ keyId: key.keyId }), "ValidationException", "GenerateDataKeyPair");
  await expectFailure(t, admin().generateDataKeyPairWithoutPlaintext({ keyId: key.keyId }), "ValidationException", "GenerateDataKeyPairWithoutPlaintext");
});

test("key_pair_spec SM2 is UnsupportedOperationException for both RPCs", async (t) => {
  const key = await keyOf();
  await expectFailure(t, admin().generateDataKeyPair({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.SM2 }), "UnsupportedOperationException", "GenerateDataKeyPair");
  await expectFailure(t, admin().generateDataKeyPairWithoutPlaintext({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.SM2 }), "UnsupportedOperationException", "GenerateDataKeyPairWithoutPlaintext");
});

test("an asymmetric or HMAC key as the wrapping key is InvalidKeyUsageException", async (t) => {
  const wrappers: Array<[string, Key]> = [
    ["ECC_NIST_P256 SIGN_VERIFY", await keyOf(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY)],
    ["RSA_2048 ENCRYPT_DECRYPT", await keyOf(KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT)],
    ["HMAC_256", await keyOf(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC)],
  ];
  for (const [what, key] of wrappers) {
    await expectFailure(t, admin().generateDataKeyPair({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 }), "InvalidKeyUsageException", `GenerateDataKeyPair under ${what}`);
    await expectFailure(t, admin().generateDataKeyPairWithoutPlaintext({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 }), "InvalidKeyUsageException", `GenerateDataKeyPairWithoutPlaintext under ${what}`);
  }
});

test("a disabled wrapping key is DisabledException", async (t) => {
  const { keyMetadata } = await admin().createKey({ description: "data-key-pairs disabled" });
  await admin().disableKey({ keyId: keyMetadata!.keyId });
  await expectFailure(t, admin().generateDataKeyPair({ keyId: keyMetadata!.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 }), "DisabledException", "GenerateDataKeyPair");
  await expectFailure(t, admin().generateDataKeyPairWithoutPlaintext({ keyId: keyMetadata!.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 }), "DisabledException", "GenerateDataKeyPairWithoutPlaintext");
});
