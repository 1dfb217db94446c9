import {
  DataKeyPairSpec,
  EncapsulationAlgorithmSpec,
  EncryptionAlgorithmSpec,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  KeyUsage,
  MacAlgorithmSpec,
  MessageType,
  SigningAlgorithmSpec,
} from "../../gen/kms/v1/types_pb.js";

/** The algorithm lists AWS DescribeKey shows for a key of one spec and usage (empty lists are omitted there). */
export interface KeyAlgorithms {
  readonly encryptionAlgorithms: readonly EncryptionAlgorithmSpec[];
  readonly signingAlgorithms: readonly SigningAlgorithmSpec[];
  readonly macAlgorithms: readonly MacAlgorithmSpec[];
  readonly keyAgreementAlgorithms: readonly KeyAgreementAlgorithmSpec[];
  readonly encapsulationAlgorithms: readonly EncapsulationAlgorithmSpec[];
}

/** The usages a spec allows, each with its algorithms, in the order AWS lists them. */
type UsageTable = ReadonlyMap<KeyUsage, Partial<KeyAlgorithms>>;

const S = SigningAlgorithmSpec;

const rsa: UsageTable = new Map<KeyUsage, Partial<KeyAlgorithms>>([
  [KeyUsage.ENCRYPT_DECRYPT, { encryptionAlgorithms: [EncryptionAlgorithmSpec.RSAES_OAEP_SHA_1, EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256] }],
  [
    KeyUsage.SIGN_VERIFY,
    {
      signingAlgorithms: [
        S.RSASSA_PKCS1_V1_5_SHA_256, S.RSASSA_PKCS1_V1_5_SHA_384, S.RSASSA_PKCS1_V1_5_SHA_512,
        S.RSASSA_PSS_SHA_256, S.RSASSA_PSS_SHA_384, S.RSASSA_PSS_SHA_512,
      ],
    },
  ],
]);

/** NIST curves sign with the one ECDSA hash fixed per curve, or agree keys with ECDH. */
function nistCurve(ecdsa: SigningAlgorithmSpec): UsageTable {
  return new Map<KeyUsage, Partial<KeyAlgorithms>>([
    [KeyUsage.SIGN_VERIFY, { signingAlgorithms: [ecdsa] }],
    [KeyUsage.KEY_AGREEMENT, { keyAgreementAlgorithms: [KeyAgreementAlgorithmSpec.ECDH] }],
  ]);
}

const signOnly = (...algorithms: SigningAlgorithmSpec[]): UsageTable => new Map([[KeyUsage.SIGN_VERIFY, { signingAlgorithms: algorithms }]]);
const macOnly = (algorithm: MacAlgorithmSpec): UsageTable => new Map([[KeyUsage.GENERATE_VERIFY_MAC, { macAlgorithms: [algorithm] }]]);
const mlKem: UsageTable = new Map([[KeyUsage.ENCAPSULATE_DECAPSULATE, { encapsulationAlgorithms: [EncapsulationAlgorithmSpec.ML_KEM] }]]);

/** Every key spec this server creates keys of. */
const catalog: ReadonlyMap<KeySpec, UsageTable> = new Map<KeySpec, UsageTable>([
  [KeySpec.SYMMETRIC_DEFAULT, new Map([[KeyUsage.ENCRYPT_DECRYPT, { encryptionAlgorithms: [EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT] }]])],
  [KeySpec.RSA_2048, rsa],
  [KeySpec.RSA_3072, rsa],
  [KeySpec.RSA_4096, rsa],
  [KeySpec.ECC_NIST_P256, nistCurve(S.ECDSA_SHA_256)],
  [KeySpec.ECC_NIST_P384, nistCurve(S.ECDSA_SHA_384)],
  [KeySpec.ECC_NIST_P521, nistCurve(S.ECDSA_SHA_512)],
  // secp256k1 has no key agreement in AWS.
  [KeySpec.ECC_SECG_P256K1, signOnly(S.ECDSA_SHA_256)],
  [KeySpec.ECC_NIST_EDWARDS25519, signOnly(S.ED25519_SHA_512, S.ED25519_PH_SHA_512)],
  [KeySpec.ML_DSA_44, signOnly(S.ML_DSA_SHAKE_256)],
  [KeySpec.ML_DSA_65, signOnly(S.ML_DSA_SHAKE_256)],
  [KeySpec.ML_DSA_87, signOnly(S.ML_DSA_SHAKE_256)],
  [KeySpec.ML_KEM_512, mlKem],
  [KeySpec.ML_KEM_768, mlKem],
  [KeySpec.ML_KEM_1024, mlKem],
  [KeySpec.HMAC_224, macOnly(MacAlgorithmSpec.HMAC_SHA_224)],
  [KeySpec.HMAC_256, macOnly(MacAlgorithmSpec.HMAC_SHA_256)],
  [KeySpec.HMAC_384, macOnly(MacAlgorithmSpec.HMAC_SHA_384)],
  [KeySpec.HMAC_512, macOnly(MacAlgorithmSpec.HMAC_SHA_512)],
]);

/** Specs AWS has but this server refuses, with the reason to tell the caller. */
export const unsupportedKeySpecs: ReadonlyMap<KeySpec, string> = new Map([
  [KeySpec.SM2, "SM2 keys are offered only in AWS China Regions; this server does not support them"],
]);

/** The key specs keys can be created with, in enum order. */
export const supportedKeySpecs: readonly KeySpec[] = [...catalog.keys()];

export function isSupportedKeySpec(spec: KeySpec): boolean {
  return catalog.has(spec);
}

/** The key usages a spec allows; empty for unsupported specs. */
export function allowedKeyUsages(spec: KeySpec): readonly KeyUsage[] {
  return [...(catalog.get(spec)?.keys() ?? [])];
}

/** AWS CreateKey assumes ENCRYPT_DECRYPT for every spec, so HMAC and signing-only specs must name their usage. */
export const DEFAULT_KEY_USAGE = KeyUsage.ENCRYPT_DECRYPT;

/** The usage a CreateKey request ends up with, or undefined when the spec does not allow it (a ValidationException). */
export function resolveKeyUsage(spec: KeySpec, requested: KeyUsage): KeyUsage | undefined {
  const usage = requested === KeyUsage.UNSPECIFIED ? DEFAULT_KEY_USAGE : requested;
  return catalog.get(spec)?.has(usage) ? usage : undefined;
}

const noAlgorithms: KeyAlgorithms = { encryptionAlgorithms: [], signingAlgorithms: [], macAlgorithms: [], keyAgreementAlgorithms: [], encapsulationAlgorithms: [] };

/** What DescribeKey lists for a key; all empty when the spec and usage do not go together. */
export function keyAlgorithms(spec: KeySpec, usage: KeyUsage): KeyAlgorithms {
  return { ...noAlgorithms, ...catalog.get(spec)?.get(usage) };
}

/** Whether a key of this spec can sign with the algorithm (ECDSA's hash is fixed per curve). */
export function signingAlgorithmFits(spec: KeySpec, algorithm: SigningAlgorithmSpec): boolean {
  return keyAlgorithms(spec, KeyUsage.SIGN_VERIFY).signingAlgorithms.includes(algorithm);
}

export function encryptionAlgorithmFits(spec: KeySpec, algorithm: EncryptionAlgorithmSpec): boolean {
  return keyAlgorithms(spec, KeyUsage.ENCRYPT_DECRYPT).encryptionAlgorithms.includes(algorithm);
}

export function macAlgorithmFits(spec: KeySpec, algorithm: MacAlgorithmSpec): boolean {
  return keyAlgorithms(spec, KeyUsage.GENERATE_VERIFY_MAC).macAlgorithms.includes(algorithm);
}

export function keyAgreementAlgorithmFits(spec: KeySpec, algorithm: KeyAgreementAlgorithmSpec): boolean {
  return keyAlgorithms(spec, KeyUsage.KEY_AGREEMENT).keyAgreementAlgorithms.includes(algorithm);
}

export function encapsulationAlgorithmFits(spec: KeySpec, algorithm: EncapsulationAlgorithmSpec): boolean {
  return keyAlgorithms(spec, KeyUsage.ENCAPSULATE_DECAPSULATE).encapsulationAlgorithms.includes(algorithm);
}

/** RSA modulus size in bytes. */
export const rsaModulusBytes: ReadonlyMap<KeySpec, number> = new Map([
  [KeySpec.RSA_2048, 256],
  [KeySpec.RSA_3072, 384],
  [KeySpec.RSA_4096, 512],
]);

const oaepHashBytes: ReadonlyMap<EncryptionAlgorithmSpec, number> = new Map([
  [EncryptionAlgorithmSpec.RSAES_OAEP_SHA_1, 20],
  [EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256, 32],
]);

/**
 * The largest plaintext RSA-OAEP takes (RFC 8017: k - 2*hLen - 2); undefined when the spec is not
 * RSA or the algorithm not OAEP. AWS: RSA_2048 214/190, RSA_3072 342/318, RSA_4096 470/446 bytes.
 */
export function rsaOaepMaxPlaintextBytes(spec: KeySpec, algorithm: EncryptionAlgorithmSpec): number | undefined {
  const k = rsaModulusBytes.get(spec);
  const hLen = oaepHashBytes.get(algorithm);
  return k === undefined || hLen === undefined ? undefined : k - 2 * hLen - 2;
}

/** HMAC key length: AWS HMAC_<n> keys have n bits. */
export const hmacKeyBytes: ReadonlyMap<KeySpec, number> = new Map([
  [KeySpec.HMAC_224, 28],
  [KeySpec.HMAC_256, 32],
  [KeySpec.HMAC_384, 48],
  [KeySpec.HMAC_512, 64],
]);

/** Largest RAW message Sign/Verify take; anything longer must be sent as a digest. */
export const MAX_RAW_MESSAGE_BYTES = 4096;
/** Largest GenerateMac/VerifyMac message. */
export const MAX_MAC_MESSAGE_BYTES = 4096;
/** An ML-DSA external mu (FIPS 204, Algorithm 7 line 6) is always 64 bytes. */
export const EXTERNAL_MU_BYTES = 64;

/** Digest length per signing algorithm, for MessageType DIGEST. */
const digestBytes: ReadonlyMap<SigningAlgorithmSpec, number> = new Map([
  [S.RSASSA_PSS_SHA_256, 32],
  [S.RSASSA_PSS_SHA_384, 48],
  [S.RSASSA_PSS_SHA_512, 64],
  [S.RSASSA_PKCS1_V1_5_SHA_256, 32],
  [S.RSASSA_PKCS1_V1_5_SHA_384, 48],
  [S.RSASSA_PKCS1_V1_5_SHA_512, 64],
  [S.ECDSA_SHA_256, 32],
  [S.ECDSA_SHA_384, 48],
  [S.ECDSA_SHA_512, 64],
  [S.ED25519_PH_SHA_512, 64],
]);

/** The digest length an algorithm signs; undefined for algorithms that take no DIGEST (pure Ed25519, ML-DSA). */
export function digestLength(algorithm: SigningAlgorithmSpec): number | undefined {
  return digestBytes.get(algorithm);
}

/**
 * Message types each algorithm accepts: pure Ed25519 only RAW, Ed25519ph only a SHA-512 DIGEST,
 * ML-DSA RAW or its 64-byte EXTERNAL_MU, the rest RAW or DIGEST.
 */
export function messageTypesFor(algorithm: SigningAlgorithmSpec): readonly MessageType[] {
  switch (algorithm) {
    case S.ED25519_SHA_512:
      return [MessageType.RAW];
    case S.ED25519_PH_SHA_512:
      return [MessageType.DIGEST];
    case S.ML_DSA_SHAKE_256:
      return [MessageType.RAW, MessageType.EXTERNAL_MU];
    default:
      return digestBytes.has(algorithm) ? [MessageType.RAW, MessageType.DIGEST] : [];
  }
}

/** MessageType UNSPECIFIED means RAW, as in AWS. */
export function effectiveMessageType(messageType: MessageType): MessageType {
  return messageType === MessageType.UNSPECIFIED ? MessageType.RAW : messageType;
}

/**
 * Why a Sign/Verify message cannot go with the algorithm (a ValidationException message), or
 * undefined when it can. The text names types and lengths, never message bytes.
 */
export function signingMessageProblem(algorithm: SigningAlgorithmSpec, messageType: MessageType, messageBytes: number): string | undefined {
  const type = effectiveMessageType(messageType);
  const name = SigningAlgorithmSpec[algorithm] ?? String(algorithm);
  if (!messageTypesFor(algorithm).includes(type)) return `MessageType ${MessageType[type] ?? type} is not valid for signing algorithm ${name}`;
  if (messageBytes < 1) return "Message must not be empty";
  if (type === MessageType.RAW && messageBytes > MAX_RAW_MESSAGE_BYTES) {
    return `Message is ${messageBytes} bytes; a RAW message is at most ${MAX_RAW_MESSAGE_BYTES} bytes (send a DIGEST instead)`;
  }
  if (type === MessageType.DIGEST && messageBytes !== digestBytes.get(algorithm)) return `Digest is invalid length for algorithm ${name}`;
  if (type === MessageType.EXTERNAL_MU && messageBytes !== EXTERNAL_MU_BYTES) return `External mu must be ${EXTERNAL_MU_BYTES} bytes`;
  return undefined;
}

/** GenerateDataKeyPair specs and the key spec each one's pair is generated as; SM2 (China Regions) is absent. */
const dataKeyPairs: ReadonlyMap<DataKeyPairSpec, KeySpec> = new Map([
  [DataKeyPairSpec.RSA_2048, KeySpec.RSA_2048],
  [DataKeyPairSpec.RSA_3072, KeySpec.RSA_3072],
  [DataKeyPairSpec.RSA_4096, KeySpec.RSA_4096],
  [DataKeyPairSpec.ECC_NIST_P256, KeySpec.ECC_NIST_P256],
  [DataKeyPairSpec.ECC_NIST_P384, KeySpec.ECC_NIST_P384],
  [DataKeyPairSpec.ECC_NIST_P521, KeySpec.ECC_NIST_P521],
  [DataKeyPairSpec.ECC_SECG_P256K1, KeySpec.ECC_SECG_P256K1],
  [DataKeyPairSpec.ECC_NIST_EDWARDS25519, KeySpec.ECC_NIST_EDWARDS25519],
  [DataKeyPairSpec.ML_KEM_512, KeySpec.ML_KEM_512],
  [DataKeyPairSpec.ML_KEM_768, KeySpec.ML_KEM_768],
  [DataKeyPairSpec.ML_KEM_1024, KeySpec.ML_KEM_1024],
]);

export const supportedDataKeyPairSpecs: readonly DataKeyPairSpec[] = [...dataKeyPairs.keys()];

/** The key spec a data key pair is generated as; undefined for SM2 and unknown values. */
export function keySpecOfDataKeyPair(spec: DataKeyPairSpec): KeySpec | undefined {
  return dataKeyPairs.get(spec);
}
