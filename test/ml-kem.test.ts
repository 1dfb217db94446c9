import test from "ava";
import { randomBytes, randomUUID } from "node:crypto";
import { ml_kem512, ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import { DataKeyPairSpec, EncapsulationAlgorithmSpec as EA, EncryptionAlgorithmSpec, GrantOperation, KeySpec, KeyUsage, OriginType } from "../gen/kms/v1/types_pb.js";
import { mlKemDecapsulate, mlKemEncapsulate, mlKemKeyPairFromSeed } from "../server/crypto/asymmetric/ml-kem.js";
import { allClients, connectGrpc, expectFailure, failureOf, type KmsClient } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

// ML-KEM (FIPS 203): the pure core against NIST's known answers, then Encapsulate / Decapsulate
// end to end, cross-checked with an independent client-side encapsulation from GetPublicKey.

const hex = (s: string) => Buffer.from(s, "hex");
// NIST ML-KEM known-answer vector 1 (the seeds d, z, m and each parameter set's shared secret),
// as the reference implementations' test suites carry it.
const D = hex("7c9935a0b07694aa0c6d10e4db6b1add2fd81a25ccb148032dcd739936737f2d");
const Z = hex("b505d7cfad1b497499323c8686325e4792f267aafa3f87ca60d01cb54f29202a");
const M = hex("eb4a7c66ef4eba2ddb38c88d8bc706b1d639002198172a7b1942eca8f6c001ba");
const specs = [
  { spec: KeySpec.ML_KEM_512, kem: ml_kem512, arc: 1, publicKeyBytes: 800, ciphertextBytes: 768, secret: "b4c8e3c4115f9511f2fddb288c4b78c5cd7c89d2d4d321f46b4edc54ddf0eb36" },
  { spec: KeySpec.ML_KEM_768, kem: ml_kem768, arc: 2, publicKeyBytes: 1184, ciphertextBytes: 1088, secret: "ac865f839fef1bf3d528dd7504bed2f64b5502b0fa81d1c32763658e4aac5037" },
  { spec: KeySpec.ML_KEM_1024, kem: ml_kem1024, arc: 3, publicKeyBytes: 1568, ciphertextBytes: 1568, secret: "ea636ce31b73f40229572146b97e590f1605fdadd1c3781861530effcf2b1e18" },
] as const;

for (const { spec, arc, publicKeyBytes, ciphertextBytes, secret } of specs) {
  test(`${KeySpec[spec]}: NIST known answer from the seeds, stored as seed-only PKCS#8 and SPKI with the id-alg-ml-kem OID`, (t) => {
    const pair = mlKemKeyPairFromSeed(spec, Buffer.concat([D, Z]));
    const oid = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, arc];
    t.deepEqual([...pair.privateKey.subarray(0, 22)], [0x30, 0x54, 0x02, 0x01, 0x00, 0x30, 0x0b, ...oid, 0x04, 0x42, 0x80, 0x40]);
    t.deepEqual(pair.privateKey.subarray(22), Buffer.concat([D, Z]), "the seed d || z, nothing else");
    t.deepEqual([...pair.publicKeySpkiDer.subarray(4, 17)], [0x30, 0x0b, ...oid]);
    t.is(pair.publicKeySpkiDer.length, 22 + publicKeyBytes);
    const { sharedSecret, ciphertext } = mlKemEncapsulate(spec, pair.publicKeySpkiDer, M);
    t.is(Buffer.from(sharedSecret).toString("hex"), secret);
    t.is(ciphertext.length, ciphertextBytes);
    t.is(Buffer.from(mlKemDecapsulate(spec, pair.privateKey, ciphertext)).toString("hex"), secret);
    const altered = Buffer.from(ciphertext);
    altered[0]! ^= 1;
    t.not(Buffer.from(mlKemDecapsulate(spec, pair.privateKey, altered)).toString("hex"), secret, "implicit rejection: another secret, no error");
  });
}

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});
const admin = (): KmsClient => connectGrpc.connect(server);
const newKey = async (spec: KeySpec) => (await admin().createKey({ keySpec: spec, keyUsage: KeyUsage.ENCAPSULATE_DECAPSULATE })).keyMetadata!;

for (const kind of allClients) {
  for (const { spec, kem, publicKeyBytes, ciphertextBytes } of specs) {
    test(`${kind.name}: ${KeySpec[spec]} Decapsulate recovers what a client encapsulated with GetPublicKey's key, and Encapsulate's own`, async (t) => {
      const kms = kind.connect(server);
      const key = await newKey(spec);
      t.deepEqual(key.encapsulationAlgorithms, [EA.ML_KEM]);
      const published = await kms.getPublicKey({ keyId: key.keyId });
      t.deepEqual(published.encapsulationAlgorithms, [EA.ML_KEM]);
      t.is(published.keyUsage, KeyUsage.ENCAPSULATE_DECAPSULATE);
      const raw = published.publicKey.subarray(published.publicKey.length - publicKeyBytes);
      const local = kem.encapsulate(raw);
      const recovered = await kms.decapsulate({ keyId: key.keyId, sharedSecretCiphertextBlob: local.cipherText, encapsulationAlgorithm: EA.ML_KEM });
      t.deepEqual(Buffer.from(recovered.sharedSecret), Buffer.from(local.sharedSecret));
      t.is(recovered.keyId, key.arn);
      t.is(recovered.encapsulationAlgorithm, EA.ML_KEM);
      const made = await kms.encapsulate({ keyId: key.keyId, encapsulationAlgorithm: EA.ML_KEM });
      t.is(made.sharedSecret.length, 32);
      t.is(made.sharedSecretCiphertextBlob.length, ciphertextBytes);
      const again = await kms.decapsulate({ keyId: key.arn, sharedSecretCiphertextBlob: made.sharedSecretCiphertextBlob, encapsulationAlgorithm: EA.ML_KEM });
      t.deepEqual(again.sharedSecret, made.sharedSecret);
    });
  }
}

test("refusals: algorithm, length, usage, state, dry run, import; an altered encapsulation gives another secret, not an error", async (t) => {
  const kms = admin();
  const key = await newKey(KeySpec.ML_KEM_768);
  const made = await kms.encapsulate({ keyId: key.keyId, encapsulationAlgorithm: EA.ML_KEM });
  await expectFailure(t, kms.encapsulate({ keyId: key.keyId }), "ValidationException", "no algorithm");
  await expectFailure(t, kms.decapsulate({ keyId: key.keyId, sharedSecretCiphertextBlob: made.sharedSecretCiphertextBlob }), "ValidationException", "no algorithm");
  await expectFailure(t, kms.decapsulate({ keyId: key.keyId, sharedSecretCiphertextBlob: made.sharedSecretCiphertextBlob.subarray(1), encapsulationAlgorithm: EA.ML_KEM }), "InvalidCiphertextException", "short");
  await expectFailure(t, kms.decapsulate({ keyId: key.keyId, sharedSecretCiphertextBlob: new Uint8Array(0), encapsulationAlgorithm: EA.ML_KEM }), "ValidationException", "empty");
  const altered = Buffer.from(made.sharedSecretCiphertextBlob);
  altered[100]! ^= 0x10;
  const other = await kms.decapsulate({ keyId: key.keyId, sharedSecretCiphertextBlob: altered, encapsulationAlgorithm: EA.ML_KEM });
  t.notDeepEqual(other.sharedSecret, made.sharedSecret);
  const ecc = (await kms.createKey({ keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsage.KEY_AGREEMENT })).keyMetadata!.keyId;
  await expectFailure(t, kms.encapsulate({ keyId: ecc, encapsulationAlgorithm: EA.ML_KEM }), "InvalidKeyUsageException");
  await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: new Uint8Array(8), encryptionAlgorithm: EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256 }), "InvalidKeyUsageException");
  await expectFailure(t, kms.decapsulate({ keyId: key.keyId, sharedSecretCiphertextBlob: made.sharedSecretCiphertextBlob, encapsulationAlgorithm: EA.ML_KEM, dryRun: true }), "DryRunOperationException");
  await kms.disableKey({ keyId: key.keyId });
  await expectFailure(t, kms.decapsulate({ keyId: key.keyId, sharedSecretCiphertextBlob: made.sharedSecretCiphertextBlob, encapsulationAlgorithm: EA.ML_KEM }), "DisabledException");
  await expectFailure(t, kms.createKey({ keySpec: KeySpec.ML_KEM_512, keyUsage: KeyUsage.ENCAPSULATE_DECAPSULATE, origin: OriginType.EXTERNAL }), "UnsupportedOperationException");
  await expectFailure(t, kms.createKey({ keySpec: KeySpec.ML_KEM_512 }), "ValidationException", "ML-KEM keys name their usage");
});

test("authorization: kms:Encapsulate does not allow Decapsulate; a grant for Decapsulate does", async (t) => {
  const key = await newKey(KeySpec.ML_KEM_512);
  const iam = identityClient(server.url, server.token);
  const userName = `kem-${randomUUID().slice(0, 8)}`;
  const { user } = await iam.createUser({ userName });
  await iam.putUserPolicy({ userName, policyName: "kem", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encapsulate", Resource: "*" }] }) });
  const { accessKey } = await iam.createAccessKey({ userName });
  const kms = connectGrpc.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) });
  const made = await kms.encapsulate({ keyId: key.arn, encapsulationAlgorithm: EA.ML_KEM });
  await expectFailure(t, kms.decapsulate({ keyId: key.arn, sharedSecretCiphertextBlob: made.sharedSecretCiphertextBlob, encapsulationAlgorithm: EA.ML_KEM }), "AccessDeniedException");
  await expectFailure(t, admin().createGrant({ keyId: key.keyId, granteePrincipal: user!.arn, operations: [GrantOperation.DECRYPT] }), "ValidationException", "a grant on an ML-KEM key cannot allow Decrypt");
  await admin().createGrant({ keyId: key.keyId, granteePrincipal: user!.arn, operations: [GrantOperation.DECAPSULATE] });
  const recovered = await kms.decapsulate({ keyId: key.arn, sharedSecretCiphertextBlob: made.sharedSecretCiphertextBlob, encapsulationAlgorithm: EA.ML_KEM });
  t.deepEqual(recovered.sharedSecret, made.sharedSecret);
  t.is((await failureOf(kms.decapsulate({ keyId: key.arn, sharedSecretCiphertextBlob: randomBytes(10), encapsulationAlgorithm: EA.ML_KEM }))).exception, "InvalidCiphertextException");
});

test("GenerateDataKeyPair(WithoutPlaintext) ML_KEM_*: a seed-only PKCS#8 private key whose public half is the SPKI, encrypted under a symmetric key", async (t) => {
  const kms = admin();
  const wrapping = (await kms.createKey({})).keyMetadata!.keyId;
  for (const { spec, kem, publicKeyBytes } of specs) {
    const pairSpec = DataKeyPairSpec[KeySpec[spec] as keyof typeof DataKeyPairSpec];
    const pair = await kms.generateDataKeyPair({ keyId: wrapping, keyPairSpec: pairSpec, encryptionContext: { spec: KeySpec[spec] } });
    const pkcs8 = Buffer.from(pair.privateKeyPlaintext);
    t.is(pkcs8.length, 86, "22 bytes of DER and the 64-byte seed");
    const { publicKey, secretKey } = kem.keygen(Uint8Array.from(pkcs8.subarray(22)));
    t.deepEqual(Buffer.from(pair.publicKey).subarray(-publicKeyBytes), Buffer.from(publicKey), "the SPKI is the seed's public key");
    const { cipherText, sharedSecret } = kem.encapsulate(publicKey);
    t.deepEqual(kem.decapsulate(cipherText, secretKey), sharedSecret);
    t.deepEqual(Buffer.from((await kms.decrypt({ ciphertextBlob: pair.privateKeyCiphertextBlob, encryptionContext: { spec: KeySpec[spec] } })).plaintext), pkcs8);
    const without = await kms.generateDataKeyPairWithoutPlaintext({ keyId: wrapping, keyPairSpec: pairSpec });
    const opened = Buffer.from((await kms.decrypt({ ciphertextBlob: without.privateKeyCiphertextBlob })).plaintext);
    t.deepEqual(Buffer.from(without.publicKey).subarray(-publicKeyBytes), Buffer.from(kem.keygen(Uint8Array.from(opened.subarray(22))).publicKey));
  }
});
