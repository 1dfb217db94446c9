import test from "ava";
import {
  DataKeyPairSpec,
  EncapsulationAlgorithmSpec,
  EncryptionAlgorithmSpec as E,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  KeyUsage,
  MacAlgorithmSpec,
  MessageType,
  SigningAlgorithmSpec as S,
} from "../gen/kms/v1/types_pb.js";
import {
  allowedKeyUsages,
  digestLength,
  encryptionAlgorithmFits,
  hmacKeyBytes,
  isSupportedKeySpec,
  keyAgreementAlgorithmFits,
  keyAlgorithms,
  keySpecOfDataKeyPair,
  macAlgorithmFits,
  MAX_RAW_MESSAGE_BYTES,
  messageTypesFor,
  resolveKeyUsage,
  rsaOaepMaxPlaintextBytes,
  signingAlgorithmFits,
  signingMessageProblem,
  supportedDataKeyPairSpecs,
  supportedKeySpecs,
  unsupportedKeySpecs,
} from "../server/domain/key-specs.js";

const RSA = [KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096];
const NIST = [KeySpec.ECC_NIST_P256, KeySpec.ECC_NIST_P384, KeySpec.ECC_NIST_P521];
const ML_DSA = [KeySpec.ML_DSA_44, KeySpec.ML_DSA_65, KeySpec.ML_DSA_87];
const ML_KEM = [KeySpec.ML_KEM_512, KeySpec.ML_KEM_768, KeySpec.ML_KEM_1024];
const HMAC = [KeySpec.HMAC_224, KeySpec.HMAC_256, KeySpec.HMAC_384, KeySpec.HMAC_512];

// The AWS key spec table (kms-reference.md "Key specs", AWS asymmetric-key-specs / hmac docs).
const expectedUsages: [KeySpec, KeyUsage[]][] = [
  [KeySpec.SYMMETRIC_DEFAULT, [KeyUsage.ENCRYPT_DECRYPT]],
  ...RSA.map((s): [KeySpec, KeyUsage[]] => [s, [KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY]]),
  ...NIST.map((s): [KeySpec, KeyUsage[]] => [s, [KeyUsage.SIGN_VERIFY, KeyUsage.KEY_AGREEMENT]]),
  [KeySpec.ECC_SECG_P256K1, [KeyUsage.SIGN_VERIFY]],
  [KeySpec.ECC_NIST_EDWARDS25519, [KeyUsage.SIGN_VERIFY]],
  ...ML_DSA.map((s): [KeySpec, KeyUsage[]] => [s, [KeyUsage.SIGN_VERIFY]]),
  ...ML_KEM.map((s): [KeySpec, KeyUsage[]] => [s, [KeyUsage.ENCAPSULATE_DECAPSULATE]]),
  ...HMAC.map((s): [KeySpec, KeyUsage[]] => [s, [KeyUsage.GENERATE_VERIFY_MAC]]),
];

test("every supported key spec allows exactly the usages AWS allows", (t) => {
  for (const [spec, usages] of expectedUsages) t.deepEqual([...allowedKeyUsages(spec)].sort(), [...usages].sort(), KeySpec[spec]);
  t.deepEqual([...supportedKeySpecs].sort((a, b) => a - b), expectedUsages.map(([s]) => s).sort((a, b) => a - b));
});

test("SM2 is unsupported (China Regions only) and UNSPECIFIED is no spec", (t) => {
  t.false(isSupportedKeySpec(KeySpec.SM2));
  t.false(isSupportedKeySpec(KeySpec.UNSPECIFIED));
  t.regex(unsupportedKeySpecs.get(KeySpec.SM2)!, /China/);
  t.deepEqual(allowedKeyUsages(KeySpec.SM2), []);
  t.is(resolveKeyUsage(KeySpec.SM2, KeyUsage.SIGN_VERIFY), undefined);
  t.true(isSupportedKeySpec(KeySpec.ML_DSA_65));
});

test("an unspecified usage is ENCRYPT_DECRYPT, so HMAC and signing-only specs must name theirs", (t) => {
  t.is(resolveKeyUsage(KeySpec.SYMMETRIC_DEFAULT, KeyUsage.UNSPECIFIED), KeyUsage.ENCRYPT_DECRYPT);
  t.is(resolveKeyUsage(KeySpec.RSA_2048, KeyUsage.UNSPECIFIED), KeyUsage.ENCRYPT_DECRYPT);
  for (const spec of [...HMAC, ...NIST, ...ML_DSA, ...ML_KEM, KeySpec.ECC_SECG_P256K1, KeySpec.ECC_NIST_EDWARDS25519]) {
    t.is(resolveKeyUsage(spec, KeyUsage.UNSPECIFIED), undefined, KeySpec[spec]);
  }
  t.is(resolveKeyUsage(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC), KeyUsage.GENERATE_VERIFY_MAC);
  t.is(resolveKeyUsage(KeySpec.ECC_NIST_P384, KeyUsage.KEY_AGREEMENT), KeyUsage.KEY_AGREEMENT);
  t.is(resolveKeyUsage(KeySpec.ECC_SECG_P256K1, KeyUsage.KEY_AGREEMENT), undefined);
  t.is(resolveKeyUsage(KeySpec.ECC_NIST_EDWARDS25519, KeyUsage.KEY_AGREEMENT), undefined);
  t.is(resolveKeyUsage(KeySpec.RSA_4096, KeyUsage.GENERATE_VERIFY_MAC), undefined);
});

test("DescribeKey algorithm lists per spec and usage", (t) => {
  t.deepEqual(keyAlgorithms(KeySpec.RSA_3072, KeyUsage.ENCRYPT_DECRYPT), {
    encryptionAlgorithms: [E.RSAES_OAEP_SHA_1, E.RSAES_OAEP_SHA_256],
    signingAlgorithms: [],
    macAlgorithms: [],
    keyAgreementAlgorithms: [],
    encapsulationAlgorithms: [],
  });
  t.deepEqual(keyAlgorithms(KeySpec.RSA_2048, KeyUsage.SIGN_VERIFY).signingAlgorithms, [
    S.RSASSA_PKCS1_V1_5_SHA_256, S.RSASSA_PKCS1_V1_5_SHA_384, S.RSASSA_PKCS1_V1_5_SHA_512,
    S.RSASSA_PSS_SHA_256, S.RSASSA_PSS_SHA_384, S.RSASSA_PSS_SHA_512,
  ]);
  t.deepEqual(keyAlgorithms(KeySpec.RSA_2048, KeyUsage.SIGN_VERIFY).encryptionAlgorithms, []);
  t.deepEqual(keyAlgorithms(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY).signingAlgorithms, [S.ECDSA_SHA_256]);
  t.deepEqual(keyAlgorithms(KeySpec.ECC_NIST_P384, KeyUsage.SIGN_VERIFY).signingAlgorithms, [S.ECDSA_SHA_384]);
  t.deepEqual(keyAlgorithms(KeySpec.ECC_NIST_P521, KeyUsage.SIGN_VERIFY).signingAlgorithms, [S.ECDSA_SHA_512]);
  t.deepEqual(keyAlgorithms(KeySpec.ECC_SECG_P256K1, KeyUsage.SIGN_VERIFY).signingAlgorithms, [S.ECDSA_SHA_256]);
  t.deepEqual(keyAlgorithms(KeySpec.ECC_NIST_P521, KeyUsage.KEY_AGREEMENT), {
    encryptionAlgorithms: [],
    signingAlgorithms: [],
    macAlgorithms: [],
    keyAgreementAlgorithms: [KeyAgreementAlgorithmSpec.ECDH],
    encapsulationAlgorithms: [],
  });
  t.deepEqual(keyAlgorithms(KeySpec.ECC_NIST_EDWARDS25519, KeyUsage.SIGN_VERIFY).signingAlgorithms, [S.ED25519_SHA_512, S.ED25519_PH_SHA_512]);
  for (const spec of ML_DSA) t.deepEqual(keyAlgorithms(spec, KeyUsage.SIGN_VERIFY).signingAlgorithms, [S.ML_DSA_SHAKE_256]);
  for (const spec of ML_KEM) t.deepEqual(keyAlgorithms(spec, KeyUsage.ENCAPSULATE_DECAPSULATE).encapsulationAlgorithms, [EncapsulationAlgorithmSpec.ML_KEM]);
  t.deepEqual(keyAlgorithms(KeySpec.HMAC_384, KeyUsage.GENERATE_VERIFY_MAC).macAlgorithms, [MacAlgorithmSpec.HMAC_SHA_384]);
  t.deepEqual(keyAlgorithms(KeySpec.SYMMETRIC_DEFAULT, KeyUsage.ENCRYPT_DECRYPT).encryptionAlgorithms, [E.SYMMETRIC_DEFAULT]);
  // A usage the spec does not have lists nothing.
  t.deepEqual(keyAlgorithms(KeySpec.HMAC_256, KeyUsage.SIGN_VERIFY).macAlgorithms, []);
  t.deepEqual(keyAlgorithms(KeySpec.SM2, KeyUsage.SIGN_VERIFY).signingAlgorithms, []);
});

test("ECDSA's hash is fixed per curve", (t) => {
  const ecdsa = [S.ECDSA_SHA_256, S.ECDSA_SHA_384, S.ECDSA_SHA_512];
  const fits: [KeySpec, S][] = [
    [KeySpec.ECC_NIST_P256, S.ECDSA_SHA_256],
    [KeySpec.ECC_NIST_P384, S.ECDSA_SHA_384],
    [KeySpec.ECC_NIST_P521, S.ECDSA_SHA_512],
    [KeySpec.ECC_SECG_P256K1, S.ECDSA_SHA_256],
  ];
  for (const [spec, only] of fits) {
    for (const algorithm of ecdsa) t.is(signingAlgorithmFits(spec, algorithm), algorithm === only, `${KeySpec[spec]} ${S[algorithm]}`);
  }
  t.false(signingAlgorithmFits(KeySpec.RSA_2048, S.ECDSA_SHA_256));
  t.false(signingAlgorithmFits(KeySpec.ECC_NIST_P256, S.RSASSA_PSS_SHA_256));
  t.false(signingAlgorithmFits(KeySpec.ML_DSA_44, S.ED25519_SHA_512));
  t.true(signingAlgorithmFits(KeySpec.ECC_NIST_EDWARDS25519, S.ED25519_PH_SHA_512));
});

test("encryption, MAC and key agreement algorithms fit only their specs", (t) => {
  t.true(encryptionAlgorithmFits(KeySpec.RSA_4096, E.RSAES_OAEP_SHA_1));
  t.false(encryptionAlgorithmFits(KeySpec.RSA_4096, E.SYMMETRIC_DEFAULT));
  t.false(encryptionAlgorithmFits(KeySpec.ECC_NIST_P256, E.RSAES_OAEP_SHA_256));
  t.true(macAlgorithmFits(KeySpec.HMAC_224, MacAlgorithmSpec.HMAC_SHA_224));
  t.false(macAlgorithmFits(KeySpec.HMAC_224, MacAlgorithmSpec.HMAC_SHA_256));
  t.true(keyAgreementAlgorithmFits(KeySpec.ECC_NIST_P256, KeyAgreementAlgorithmSpec.ECDH));
  t.false(keyAgreementAlgorithmFits(KeySpec.ECC_SECG_P256K1, KeyAgreementAlgorithmSpec.ECDH));
  t.false(keyAgreementAlgorithmFits(KeySpec.ECC_NIST_EDWARDS25519, KeyAgreementAlgorithmSpec.ECDH));
});

test("RSA-OAEP plaintext caps match the numbers AWS documents", (t) => {
  const aws: [KeySpec, number, number][] = [
    [KeySpec.RSA_2048, 214, 190],
    [KeySpec.RSA_3072, 342, 318],
    [KeySpec.RSA_4096, 470, 446],
  ];
  for (const [spec, sha1, sha256] of aws) {
    t.is(rsaOaepMaxPlaintextBytes(spec, E.RSAES_OAEP_SHA_1), sha1);
    t.is(rsaOaepMaxPlaintextBytes(spec, E.RSAES_OAEP_SHA_256), sha256);
  }
  t.is(rsaOaepMaxPlaintextBytes(KeySpec.ECC_NIST_P256, E.RSAES_OAEP_SHA_256), undefined);
  t.is(rsaOaepMaxPlaintextBytes(KeySpec.RSA_2048, E.SYMMETRIC_DEFAULT), undefined);
});

test("HMAC key lengths are the spec's bit count", (t) => {
  t.deepEqual(HMAC.map((s) => hmacKeyBytes.get(s)), [28, 32, 48, 64]);
});

test("digest lengths follow each algorithm's hash; pure Ed25519 and ML-DSA take no digest", (t) => {
  t.is(digestLength(S.RSASSA_PSS_SHA_256), 32);
  t.is(digestLength(S.RSASSA_PKCS1_V1_5_SHA_384), 48);
  t.is(digestLength(S.ECDSA_SHA_512), 64);
  t.is(digestLength(S.ED25519_PH_SHA_512), 64);
  t.is(digestLength(S.ED25519_SHA_512), undefined);
  t.is(digestLength(S.ML_DSA_SHAKE_256), undefined);
});

test("message types per algorithm", (t) => {
  t.deepEqual(messageTypesFor(S.ECDSA_SHA_256), [MessageType.RAW, MessageType.DIGEST]);
  t.deepEqual(messageTypesFor(S.ED25519_SHA_512), [MessageType.RAW]);
  t.deepEqual(messageTypesFor(S.ED25519_PH_SHA_512), [MessageType.DIGEST]);
  t.deepEqual(messageTypesFor(S.ML_DSA_SHAKE_256), [MessageType.RAW, MessageType.EXTERNAL_MU]);
  t.deepEqual(messageTypesFor(S.SM2DSA), []);
  // Every algorithm a supported spec offers can be used with some message type.
  for (const spec of supportedKeySpecs) {
    for (const algorithm of keyAlgorithms(spec, KeyUsage.SIGN_VERIFY).signingAlgorithms) t.not(messageTypesFor(algorithm).length, 0);
  }
});

test("signingMessageProblem enforces type, RAW size and exact digest / mu lengths", (t) => {
  t.is(signingMessageProblem(S.ECDSA_SHA_256, MessageType.RAW, MAX_RAW_MESSAGE_BYTES), undefined);
  t.is(signingMessageProblem(S.ECDSA_SHA_256, MessageType.UNSPECIFIED, 10), undefined);
  t.regex(signingMessageProblem(S.ECDSA_SHA_256, MessageType.RAW, MAX_RAW_MESSAGE_BYTES + 1)!, /at most 4096/);
  t.regex(signingMessageProblem(S.ECDSA_SHA_256, MessageType.UNSPECIFIED, MAX_RAW_MESSAGE_BYTES + 1)!, /at most 4096/);
  t.regex(signingMessageProblem(S.ECDSA_SHA_256, MessageType.RAW, 0)!, /empty/);
  t.is(signingMessageProblem(S.ECDSA_SHA_384, MessageType.DIGEST, 48), undefined);
  t.regex(signingMessageProblem(S.ECDSA_SHA_384, MessageType.DIGEST, 32)!, /Digest is invalid length for algorithm ECDSA_SHA_384/);
  t.regex(signingMessageProblem(S.ECDSA_SHA_256, MessageType.EXTERNAL_MU, 64)!, /EXTERNAL_MU is not valid/);
  t.regex(signingMessageProblem(S.ED25519_SHA_512, MessageType.DIGEST, 64)!, /DIGEST is not valid/);
  t.regex(signingMessageProblem(S.ED25519_PH_SHA_512, MessageType.RAW, 3)!, /RAW is not valid/);
  t.is(signingMessageProblem(S.ED25519_PH_SHA_512, MessageType.DIGEST, 64), undefined);
  t.is(signingMessageProblem(S.ML_DSA_SHAKE_256, MessageType.EXTERNAL_MU, 64), undefined);
  t.regex(signingMessageProblem(S.ML_DSA_SHAKE_256, MessageType.EXTERNAL_MU, 32)!, /64 bytes/);
  t.regex(signingMessageProblem(S.ML_DSA_SHAKE_256, MessageType.DIGEST, 64)!, /DIGEST is not valid/);
});

test("every data key pair spec but SM2 is supported, each as the matching key spec", (t) => {
  t.deepEqual(
    [...supportedDataKeyPairSpecs].sort((a, b) => a - b),
    [
      DataKeyPairSpec.RSA_2048, DataKeyPairSpec.RSA_3072, DataKeyPairSpec.RSA_4096, DataKeyPairSpec.ECC_NIST_P256,
      DataKeyPairSpec.ECC_NIST_P384, DataKeyPairSpec.ECC_NIST_P521, DataKeyPairSpec.ECC_SECG_P256K1, DataKeyPairSpec.ECC_NIST_EDWARDS25519,
      DataKeyPairSpec.ML_KEM_512, DataKeyPairSpec.ML_KEM_768, DataKeyPairSpec.ML_KEM_1024,
    ],
  );
  for (const spec of supportedDataKeyPairSpecs) t.is(KeySpec[keySpecOfDataKeyPair(spec)!], DataKeyPairSpec[spec]);
  t.is(keySpecOfDataKeyPair(DataKeyPairSpec.SM2), undefined);
  t.is(keySpecOfDataKeyPair(DataKeyPairSpec.UNSPECIFIED), undefined);
});
