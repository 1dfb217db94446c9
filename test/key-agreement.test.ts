import test from "ava";
import { createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { KeyAgreementAlgorithmSpec as KA, KeySpec, KeyUsage, OriginType, SigningAlgorithmSpec } from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, expectFailure, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { sharedKeys, type SharedKey } from "./support/shared-keys.js";

// ECDH key agreement end to end: the server's half (DeriveSharedSecret with a peer SPKI) must
// equal node's half (diffieHellman with the peer's private key and the server's GetPublicKey).

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const admin = (): KmsClient => connectGrpc.connect(server);

/** Each curve: its key spec, node's curve name and the shared secret (x-coordinate) length. */
const curves = [
  { spec: KeySpec.ECC_NIST_P256, namedCurve: "prime256v1", secretBytes: 32 },
  { spec: KeySpec.ECC_NIST_P384, namedCurve: "secp384r1", secretBytes: 48 },
  { spec: KeySpec.ECC_NIST_P521, namedCurve: "secp521r1", secretBytes: 66 },
] as const;

type Key = SharedKey;

const sharedKey = sharedKeys(() => admin(), "key-agreement");
const keyOf = (spec: KeySpec, usage: KeyUsage = KeyUsage.KEY_AGREEMENT): Promise<Key> => sharedKey(spec, usage);

interface Peer {
  readonly privateKey: KeyObject;
  readonly spki: Buffer;
}
function peerOn(namedCurve: string): Peer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve });
  return { privateKey, spki: publicKey.export({ type: "spki", format: "der" }) };
}

for (const kind of allClients) {
  for (const { spec, namedCurve, secretBytes } of curves) {
    test(`${kind.name}: ${KeySpec[spec]} DeriveSharedSecret equals node's ECDH from the peer's private key and GetPublicKey`, async (t) => {
      const kms = kind.connect(server);
      const key = await keyOf(spec);
      const published = await kms.getPublicKey({ keyId: key.keyId });
      t.is(published.keySpec, spec);
      t.is(published.keyUsage, KeyUsage.KEY_AGREEMENT);
      t.deepEqual(published.keyAgreementAlgorithms, [KA.ECDH]);
      const serverPublic = createPublicKey({ key: Buffer.from(published.publicKey), format: "der", type: "spki" });
      t.is(serverPublic.asymmetricKeyType, "ec");
      t.is(serverPublic.asymmetricKeyDetails?.namedCurve, namedCurve);

      const peer = peerOn(namedCurve);
      const derived = await kms.deriveSharedSecret({ keyId: key.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: peer.spki });
      const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: serverPublic });
      t.is(derived.sharedSecret.length, secretBytes);
      t.deepEqual(Buffer.from(derived.sharedSecret), expected);
      t.is(derived.keyId, key.arn);
      t.is(derived.keyAgreementAlgorithm, KA.ECDH);
      t.is(derived.keyOrigin, OriginType.AWS_KMS);

      const again = await kms.deriveSharedSecret({ keyId: key.arn, keyAgreementAlgorithm: KA.ECDH, publicKey: peer.spki });
      t.deepEqual(Buffer.from(again.sharedSecret), expected, "the same peer gives the same secret");
      const otherPeer = peerOn(namedCurve);
      const other = await kms.deriveSharedSecret({ keyId: key.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: otherPeer.spki });
      t.notDeepEqual(Buffer.from(other.sharedSecret), expected, "another peer gives another secret");
      t.deepEqual(Buffer.from(other.sharedSecret), diffieHellman({ privateKey: otherPeer.privateKey, publicKey: serverPublic }));
    });
  }
}

test("DescribeKey of a KEY_AGREEMENT key lists ECDH and nothing else", async (t) => {
  for (const { spec } of curves) {
    const { keyMetadata } = await admin().describeKey({ keyId: (await keyOf(spec)).keyId });
    t.is(keyMetadata!.keyUsage, KeyUsage.KEY_AGREEMENT, KeySpec[spec]);
    t.deepEqual(keyMetadata!.keyAgreementAlgorithms, [KA.ECDH]);
    t.deepEqual(keyMetadata!.signingAlgorithms, []);
    t.deepEqual(keyMetadata!.encryptionAlgorithms, []);
  }
});

test("a peer public key on another curve is ValidationException", async (t) => {
  const p256 = await keyOf(KeySpec.ECC_NIST_P256);
  const p384 = await keyOf(KeySpec.ECC_NIST_P384);
  for (const otherCurve of ["secp384r1", "secp521r1", "secp256k1"]) {
    await expectFailure(t, admin().deriveSharedSecret({ keyId: p256.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: peerOn(otherCurve).spki }), "ValidationException", `P256 key, ${otherCurve} peer`);
  }
  await expectFailure(t, admin().deriveSharedSecret({ keyId: p384.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: peerOn("prime256v1").spki }), "ValidationException", "P384 key, P256 peer");
  const x25519 = generateKeyPairSync("x25519").publicKey.export({ type: "spki", format: "der" });
  await expectFailure(t, admin().deriveSharedSecret({ keyId: p256.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: x25519 }), "ValidationException", "X25519 peer");
});

test("an RSA SPKI, garbage bytes, a truncated SPKI or no public key at all are ValidationException", async (t) => {
  const key = await keyOf(KeySpec.ECC_NIST_P256);
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "der" });
  const good = peerOn("prime256v1").spki;
  const cases: Array<[string, Uint8Array]> = [
    ["RSA SPKI", rsa],
    ["garbage", randomBytes(91)],
    ["text", new TextEncoder().encode("not a public key")],
    ["truncated SPKI", good.subarray(0, good.length - 5)],
    ["raw point without SPKI", good.subarray(good.length - 65)],
    ["empty", new Uint8Array(0)],
  ];
  for (const [what, publicKey] of cases) {
    await expectFailure(t, admin().deriveSharedSecret({ keyId: key.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey }), "ValidationException", what);
  }
});

test("key_agreement_algorithm UNSPECIFIED is ValidationException", async (t) => {
  const key = await keyOf(KeySpec.ECC_NIST_P256);
  await expectFailure(t, admin().deriveSharedSecret({ keyId: key.keyId, publicKey: peerOn("prime256v1").spki }), "ValidationException", "UNSPECIFIED");
});

test("a SIGN_VERIFY P256 key or a symmetric key used for DeriveSharedSecret is InvalidKeyUsageException", async (t) => {
  const signing = await keyOf(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY);
  const symmetric = await keyOf(KeySpec.SYMMETRIC_DEFAULT, KeyUsage.ENCRYPT_DECRYPT);
  const publicKey = peerOn("prime256v1").spki;
  await expectFailure(t, admin().deriveSharedSecret({ keyId: signing.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey }), "InvalidKeyUsageException", "SIGN_VERIFY P256");
  await expectFailure(t, admin().deriveSharedSecret({ keyId: symmetric.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey }), "InvalidKeyUsageException", "symmetric");
});

test("a KEY_AGREEMENT key cannot sign, and key agreement is refused for RSA and secp256k1 at CreateKey", async (t) => {
  const key = await keyOf(KeySpec.ECC_NIST_P256);
  await expectFailure(t, admin().sign({ keyId: key.keyId, message: new Uint8Array([1]), signingAlgorithm: SigningAlgorithmSpec.ECDSA_SHA_256 }), "InvalidKeyUsageException", "Sign with a KEY_AGREEMENT key");
  await expectFailure(t, admin().createKey({ keySpec: KeySpec.RSA_2048, keyUsage: KeyUsage.KEY_AGREEMENT }), "ValidationException", "RSA KEY_AGREEMENT");
  await expectFailure(t, admin().createKey({ keySpec: KeySpec.ECC_SECG_P256K1, keyUsage: KeyUsage.KEY_AGREEMENT }), "ValidationException", "secp256k1 KEY_AGREEMENT");
});
