import test from "ava";
import { randomBytes } from "node:crypto";
import { EncryptionAlgorithmSpec, KeySpec, KeyUsage, MacAlgorithmSpec as M } from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, expectFailure, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

// HMAC keys end to end: GenerateMac / VerifyMac for every HMAC spec, their refusals, and the
// key-usage walls between HMAC keys and encryption keys.

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const admin = (): KmsClient => connectGrpc.connect(server);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Each HMAC spec, its one MAC algorithm and the MAC length (the hash length) in bytes. */
const hmacSpecs = [
  { spec: KeySpec.HMAC_224, algorithm: M.HMAC_SHA_224, macBytes: 28 },
  { spec: KeySpec.HMAC_256, algorithm: M.HMAC_SHA_256, macBytes: 32 },
  { spec: KeySpec.HMAC_384, algorithm: M.HMAC_SHA_384, macBytes: 48 },
  { spec: KeySpec.HMAC_512, algorithm: M.HMAC_SHA_512, macBytes: 64 },
] as const;

interface Key {
  readonly keyId: string;
  readonly arn: string;
}

async function createKey(spec: KeySpec, usage: KeyUsage, description = "hmac-keys"): Promise<Key> {
  const { keyMetadata } = await admin().createKey({ keySpec: spec, keyUsage: usage, description });
  return { keyId: keyMetadata!.keyId, arn: keyMetadata!.arn };
}

// One shared key per spec, created on first use.
const shared = new Map<KeySpec, Promise<Key>>();
function hmacKey(spec: KeySpec): Promise<Key> {
  let key = shared.get(spec);
  if (!key) {
    key = createKey(spec, KeyUsage.GENERATE_VERIFY_MAC);
    key.catch(() => shared.delete(spec));
    shared.set(spec, key);
  }
  return key;
}
let symmetric: Promise<Key> | undefined;
const symmetricKey = (): Promise<Key> => (symmetric ??= createKey(KeySpec.SYMMETRIC_DEFAULT, KeyUsage.ENCRYPT_DECRYPT));

/** A copy with one bit of byte `index` inverted (negative index counts from the end). */
function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const i = index < 0 ? copy.length + index : index;
  copy[i] = copy[i]! ^ 0x01;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Round trip, through every client

for (const kind of allClients) {
  for (const { spec, algorithm, macBytes } of hmacSpecs) {
    test(`${kind.name}: ${KeySpec[spec]} GenerateMac gives a ${macBytes}-byte MAC that VerifyMac accepts`, async (t) => {
      const kms = kind.connect(server);
      const key = await hmacKey(spec);
      for (const message of [randomBytes(1), utf8(`message for ${kind.name}`), randomBytes(4096)]) {
        const generated = await kms.generateMac({ keyId: key.keyId, macAlgorithm: algorithm, message });
        t.is(generated.mac.length, macBytes, `${message.length}-byte message: the MAC is the hash length`);
        t.is(generated.keyId, key.arn);
        t.is(generated.macAlgorithm, algorithm);
        const verified = await kms.verifyMac({ keyId: key.keyId, macAlgorithm: algorithm, message, mac: generated.mac });
        t.true(verified.macValid);
        t.is(verified.keyId, key.arn);
        t.is(verified.macAlgorithm, algorithm);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Per spec: determinism, tampering, algorithm checks

for (const { spec, algorithm } of hmacSpecs) {
  const name = KeySpec[spec];

  test(`${name}: the same message gives the same MAC twice; different messages give different MACs`, async (t) => {
    const key = await hmacKey(spec);
    const message = utf8("the same message");
    const first = await admin().generateMac({ keyId: key.keyId, macAlgorithm: algorithm, message });
    const second = await admin().generateMac({ keyId: key.keyId, macAlgorithm: algorithm, message });
    t.deepEqual(Buffer.from(second.mac), Buffer.from(first.mac));
    const other = await admin().generateMac({ keyId: key.keyId, macAlgorithm: algorithm, message: utf8("the same messagf") });
    t.notDeepEqual(Buffer.from(other.mac), Buffer.from(first.mac));
  });

  test(`${name}: VerifyMac with a flipped bit in the MAC or the message is KMSInvalidMacException`, async (t) => {
    const key = await hmacKey(spec);
    const message = randomBytes(64);
    const { mac } = await admin().generateMac({ keyId: key.keyId, macAlgorithm: algorithm, message });
    for (const index of [0, -1]) {
      await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: algorithm, message, mac: flipBit(mac, index) }), "KMSInvalidMacException", `MAC bit flipped at ${index}`);
    }
    await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: algorithm, message: flipBit(message, 10), mac }), "KMSInvalidMacException", "message bit flipped");
    await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: algorithm, message, mac: mac.subarray(0, mac.length - 1) }), "KMSInvalidMacException", "MAC truncated by one byte");
  });

  test(`${name}: a MAC algorithm other than the key's is InvalidKeyUsageException; UNSPECIFIED is ValidationException`, async (t) => {
    const key = await hmacKey(spec);
    const message = utf8("algorithm check");
    const { mac } = await admin().generateMac({ keyId: key.keyId, macAlgorithm: algorithm, message });
    for (const { algorithm: wrong } of hmacSpecs.filter((s) => s.algorithm !== algorithm)) {
      await expectFailure(t, admin().generateMac({ keyId: key.keyId, macAlgorithm: wrong, message }), "InvalidKeyUsageException", `GenerateMac ${M[wrong]}`);
      await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: wrong, message, mac }), "InvalidKeyUsageException", `VerifyMac ${M[wrong]}`);
    }
    await expectFailure(t, admin().generateMac({ keyId: key.keyId, macAlgorithm: M.UNSPECIFIED, message }), "ValidationException", "GenerateMac UNSPECIFIED");
    await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: M.UNSPECIFIED, message, mac }), "ValidationException", "VerifyMac UNSPECIFIED");
  });
}

// ---------------------------------------------------------------------------------------------
// Message limits, keys and states

test("a 4097-byte or empty message is ValidationException for GenerateMac and VerifyMac", async (t) => {
  const key = await hmacKey(KeySpec.HMAC_256);
  const { mac } = await admin().generateMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_256, message: utf8("x") });
  for (const message of [new Uint8Array(4097), new Uint8Array(0)]) {
    await expectFailure(t, admin().generateMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_256, message }), "ValidationException", `GenerateMac ${message.length} bytes`);
    await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_256, message, mac }), "ValidationException", `VerifyMac ${message.length} bytes`);
  }
});

test("a MAC made by one HMAC_256 key does not verify under another HMAC_256 key", async (t) => {
  const first = await hmacKey(KeySpec.HMAC_256);
  const second = await createKey(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC, "hmac-keys second HMAC_256");
  const message = utf8("keyed");
  const a = await admin().generateMac({ keyId: first.keyId, macAlgorithm: M.HMAC_SHA_256, message });
  const b = await admin().generateMac({ keyId: second.keyId, macAlgorithm: M.HMAC_SHA_256, message });
  t.notDeepEqual(Buffer.from(a.mac), Buffer.from(b.mac), "each key has its own material");
  await expectFailure(t, admin().verifyMac({ keyId: second.keyId, macAlgorithm: M.HMAC_SHA_256, message, mac: a.mac }), "KMSInvalidMacException", "cross-key");
});

test("a symmetric encryption key used for GenerateMac or VerifyMac is InvalidKeyUsageException", async (t) => {
  const key = await symmetricKey();
  await expectFailure(t, admin().generateMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_256, message: utf8("m") }), "InvalidKeyUsageException", "GenerateMac");
  await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_256, message: utf8("m"), mac: new Uint8Array(32) }), "InvalidKeyUsageException", "VerifyMac");
});

test("an HMAC key used for Encrypt, Decrypt or GenerateDataKey is InvalidKeyUsageException", async (t) => {
  const key = await hmacKey(KeySpec.HMAC_256);
  await expectFailure(t, admin().encrypt({ keyId: key.keyId, plaintext: utf8("p") }), "InvalidKeyUsageException", "Encrypt");
  await expectFailure(t, admin().encrypt({ keyId: key.keyId, plaintext: utf8("p"), encryptionAlgorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT }), "InvalidKeyUsageException", "Encrypt SYMMETRIC_DEFAULT");
  await expectFailure(t, admin().generateDataKey({ keyId: key.keyId, numberOfBytes: 32 }), "InvalidKeyUsageException", "GenerateDataKey");
});

test("DescribeKey of an HMAC key lists its one MAC algorithm; GetPublicKey is UnsupportedOperationException", async (t) => {
  for (const { spec, algorithm } of hmacSpecs) {
    const key = await hmacKey(spec);
    const { keyMetadata } = await admin().describeKey({ keyId: key.keyId });
    t.is(keyMetadata!.keySpec, spec);
    t.is(keyMetadata!.keyUsage, KeyUsage.GENERATE_VERIFY_MAC);
    t.deepEqual(keyMetadata!.macAlgorithms, [algorithm], KeySpec[spec]);
    t.deepEqual(keyMetadata!.encryptionAlgorithms, []);
  }
  await expectFailure(t, admin().getPublicKey({ keyId: (await hmacKey(KeySpec.HMAC_256)).keyId }), "UnsupportedOperationException", "GetPublicKey of an HMAC key");
});

test("an HMAC spec without GENERATE_VERIFY_MAC usage cannot be created (ValidationException)", async (t) => {
  await expectFailure(t, admin().createKey({ keySpec: KeySpec.HMAC_256 }), "ValidationException", "usage UNSPECIFIED means ENCRYPT_DECRYPT");
  await expectFailure(t, admin().createKey({ keySpec: KeySpec.HMAC_512, keyUsage: KeyUsage.SIGN_VERIFY }), "ValidationException", "SIGN_VERIFY");
});

test("a disabled HMAC key is DisabledException for GenerateMac and VerifyMac, and works again once enabled", async (t) => {
  const key = await createKey(KeySpec.HMAC_384, KeyUsage.GENERATE_VERIFY_MAC, "hmac-keys disabled");
  const message = utf8("while enabled");
  const { mac } = await admin().generateMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_384, message });
  await admin().disableKey({ keyId: key.keyId });
  await expectFailure(t, admin().generateMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_384, message }), "DisabledException", "GenerateMac");
  await expectFailure(t, admin().verifyMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_384, message, mac }), "DisabledException", "VerifyMac");
  await admin().enableKey({ keyId: key.keyId });
  t.true((await admin().verifyMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_384, message, mac })).macValid);
});
