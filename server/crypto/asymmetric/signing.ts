import { createHash, sign as nodeSign, verify as nodeVerify, constants, type KeyObject } from "node:crypto";
import { KeySpec, MessageType, SigningAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { effectiveMessageType, signingAlgorithmFits, signingMessageProblem } from "../../domain/key-specs.js";
import { KmsError } from "../../errors/kms-error.js";
import { signEcdsaDigest, verifyEcdsaDigest } from "./ecdsa-digest-signature.js";
import { signEd25519phDigest, verifyEd25519phDigest } from "./ed25519ph.js";
import { importPrivateKey, importPublicKey } from "./key-objects.js";
import { mlDsaSign, mlDsaVerify } from "./ml-dsa.js";
import { signPkcs1Digest, signPssDigest, verifyPkcs1Digest, verifyPssDigest, type RsaHash } from "./rsa-digest-signature.js";

const S = SigningAlgorithmSpec;

type Scheme = { kind: "pkcs1" | "pss" | "ecdsa"; hash: RsaHash } | { kind: "ed25519" } | { kind: "ed25519ph" } | { kind: "ml-dsa" };

const schemes: ReadonlyMap<SigningAlgorithmSpec, Scheme> = new Map<SigningAlgorithmSpec, Scheme>([
  [S.RSASSA_PKCS1_V1_5_SHA_256, { kind: "pkcs1", hash: "sha256" }],
  [S.RSASSA_PKCS1_V1_5_SHA_384, { kind: "pkcs1", hash: "sha384" }],
  [S.RSASSA_PKCS1_V1_5_SHA_512, { kind: "pkcs1", hash: "sha512" }],
  [S.RSASSA_PSS_SHA_256, { kind: "pss", hash: "sha256" }],
  [S.RSASSA_PSS_SHA_384, { kind: "pss", hash: "sha384" }],
  [S.RSASSA_PSS_SHA_512, { kind: "pss", hash: "sha512" }],
  [S.ECDSA_SHA_256, { kind: "ecdsa", hash: "sha256" }],
  [S.ECDSA_SHA_384, { kind: "ecdsa", hash: "sha384" }],
  [S.ECDSA_SHA_512, { kind: "ecdsa", hash: "sha512" }],
  [S.ED25519_SHA_512, { kind: "ed25519" }],
  [S.ED25519_PH_SHA_512, { kind: "ed25519ph" }],
  [S.ML_DSA_SHAKE_256, { kind: "ml-dsa" }],
]);

/**
 * Refuses what AWS refuses before any cryptography: an algorithm the key spec does not have
 * (InvalidKeyUsageException) and a message of the wrong type or length (ValidationException).
 */
function checkRequest(spec: KeySpec, algorithm: SigningAlgorithmSpec, message: Uint8Array, messageType: MessageType): Scheme {
  const scheme = schemes.get(algorithm);
  if (!scheme || !signingAlgorithmFits(spec, algorithm)) {
    throw new KmsError("InvalidKeyUsageException", `Signing algorithm ${S[algorithm] ?? algorithm} is not valid for key spec ${KeySpec[spec] ?? spec}`);
  }
  const problem = signingMessageProblem(algorithm, messageType, message.length);
  if (problem) throw new KmsError("ValidationException", problem);
  return scheme;
}

/**
 * Signs as AWS Sign does. privateKey is the stored PKCS#8 DER. RAW messages are hashed with the
 * algorithm's hash; a DIGEST is signed as is. Signatures: RSA as the modulus-sized integer,
 * ECDSA as DER, Ed25519 as 64 bytes, ML-DSA as FIPS 204 bytes.
 */
export function sign(spec: KeySpec, algorithm: SigningAlgorithmSpec, privateKey: Uint8Array, message: Uint8Array, messageType: MessageType): Buffer {
  const scheme = checkRequest(spec, algorithm, message, messageType);
  const type = effectiveMessageType(messageType);
  if (scheme.kind === "ml-dsa") return Buffer.from(mlDsaSign(spec, privateKey, message, type === MessageType.EXTERNAL_MU));
  const key = importPrivateKey(spec, privateKey);
  switch (scheme.kind) {
    case "ed25519":
      return nodeSign(null, message, key);
    case "ed25519ph":
      return Buffer.from(signEd25519phDigest(ed25519Seed(key), message));
    default:
      if (type === MessageType.RAW) return nodeSign(scheme.hash, message, nodeSigningOptions(scheme.kind, key));
      if (scheme.kind === "pkcs1") return signPkcs1Digest(key, scheme.hash, message);
      if (scheme.kind === "pss") return signPssDigest(key, scheme.hash, message);
      return Buffer.from(signEcdsaDigest(spec, key, message));
  }
}

/**
 * Verifies as AWS Verify does, against the DER SubjectPublicKeyInfo. false means the signature
 * does not match (the service turns it into KMSInvalidSignatureException); a malformed signature
 * is a mismatch too. Request problems throw like sign's.
 */
export function verify(
  spec: KeySpec,
  algorithm: SigningAlgorithmSpec,
  publicKeySpkiDer: Uint8Array,
  message: Uint8Array,
  messageType: MessageType,
  signature: Uint8Array,
): boolean {
  const scheme = checkRequest(spec, algorithm, message, messageType);
  const type = effectiveMessageType(messageType);
  if (scheme.kind === "ml-dsa") return mlDsaVerify(spec, publicKeySpkiDer, message, signature, type === MessageType.EXTERNAL_MU);
  const key = importPublicKey(spec, publicKeySpkiDer);
  switch (scheme.kind) {
    case "ed25519":
      return quietly(() => nodeVerify(null, message, key, signature));
    case "ed25519ph":
      return verifyEd25519phDigest(ed25519PublicKey(key), message, signature);
    default:
      if (type === MessageType.RAW) return quietly(() => nodeVerify(scheme.hash, message, nodeSigningOptions(scheme.kind, key), signature));
      if (scheme.kind === "pkcs1") return verifyPkcs1Digest(key, scheme.hash, message, signature);
      if (scheme.kind === "pss") return verifyPssDigest(key, scheme.hash, message, signature);
      return verifyEcdsaDigest(spec, key, message, signature);
  }
}

/** PSS with MGF1 over the same hash and salt length = hash length (AWS); ECDSA signatures in DER. */
function nodeSigningOptions(kind: "pkcs1" | "pss" | "ecdsa", key: KeyObject) {
  if (kind === "pss") return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  if (kind === "pkcs1") return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: "der" as const };
}

/** OpenSSL throws on some malformed signatures instead of answering false. */
function quietly(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

function ed25519Seed(key: KeyObject): Buffer {
  const { d } = key.export({ format: "jwk" });
  if (!d) throw new TypeError("not an Ed25519 private key");
  return Buffer.from(d, "base64url");
}

function ed25519PublicKey(key: KeyObject): Buffer {
  const { x } = key.export({ format: "jwk" });
  if (!x) throw new TypeError("not an Ed25519 public key");
  return Buffer.from(x, "base64url");
}

/** The digest AWS expects for MessageType DIGEST with this algorithm; for clients and tests. */
export function digestFor(algorithm: SigningAlgorithmSpec, message: Uint8Array): Buffer {
  const scheme = schemes.get(algorithm);
  if (scheme && "hash" in scheme) return createHash(scheme.hash).update(message).digest();
  if (algorithm === S.ED25519_PH_SHA_512) return createHash("sha512").update(message).digest();
  throw new TypeError(`${S[algorithm] ?? algorithm} takes no digest`);
}
