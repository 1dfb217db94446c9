import { randomBytes } from "node:crypto";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { deriveOnce } from "./derived-key-cache.js";

/**
 * ML-DSA (FIPS 204) through @noble/post-quantum, since Node 20's OpenSSL 3.0 has none.
 *
 * Stored private key: PKCS#8 DER in the RFC 9881 seed-only form (54 bytes: the 32-byte seed
 * xi), the form RFC 9881 recommends and OpenSSL 3.5 writes. Signing re-expands the seed
 * (about 5 ms on one core), which also guarantees the key used matches the public key.
 * Public key: SubjectPublicKeyInfo with the NIST OID and no parameters, BIT STRING = raw key.
 */

const SEED_BYTES = 32;

interface Params {
  readonly dsa: typeof ml_dsa44;
  /** Last arc of 2.16.840.1.101.3.4.3.{17,18,19}, the one byte that differs between the OIDs. */
  readonly oidLastArc: number;
}

const params: ReadonlyMap<KeySpec, Params> = new Map([
  [KeySpec.ML_DSA_44, { dsa: ml_dsa44, oidLastArc: 17 }],
  [KeySpec.ML_DSA_65, { dsa: ml_dsa65, oidLastArc: 18 }],
  [KeySpec.ML_DSA_87, { dsa: ml_dsa87, oidLastArc: 19 }],
]);

export function isMlDsaSpec(spec: KeySpec): boolean {
  return params.has(spec);
}

function paramsOf(spec: KeySpec): Params {
  const p = params.get(spec);
  if (!p) throw new TypeError(`${KeySpec[spec]} is not an ML-DSA key spec`);
  return p;
}

/** AlgorithmIdentifier { id-ml-dsa-NN } with parameters absent. */
function algorithmIdentifier(p: Params): Buffer {
  return Buffer.from([0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, p.oidLastArc]);
}

/** PrivateKeyInfo { version 0, algorithm, privateKey OCTET STRING { seed [0] IMPLICIT OCTET STRING } }. */
function pkcs8Prefix(p: Params): Buffer {
  return Buffer.concat([Buffer.from([0x30, 0x34, 0x02, 0x01, 0x00]), algorithmIdentifier(p), Buffer.from([0x04, 0x22, 0x80, 0x20])]);
}

/** SubjectPublicKeyInfo of a raw ML-DSA public key; every size is 256..65535 bytes, so lengths take two bytes. */
function encodeSpki(p: Params, publicKey: Uint8Array): Buffer {
  const bitString = Buffer.concat([Buffer.from([0x03, 0x82]), uint16(publicKey.length + 1), Buffer.from([0x00]), publicKey]);
  const body = Buffer.concat([algorithmIdentifier(p), bitString]);
  return Buffer.concat([Buffer.from([0x30, 0x82]), uint16(body.length), body]);
}

function uint16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The raw public key inside an SPKI of the spec; undefined when the bytes are anything else. */
export function mlDsaPublicKeyFromSpki(spec: KeySpec, spkiDer: Uint8Array): Uint8Array | undefined {
  const p = paramsOf(spec);
  const publicKeyBytes = p.dsa.lengths.publicKey ?? 0;
  const spki = Buffer.from(spkiDer);
  const raw = spki.subarray(spki.length - publicKeyBytes);
  return spki.length > publicKeyBytes && encodeSpki(p, raw).equals(spki) ? raw : undefined;
}

function seedFromPkcs8(p: Params, pkcs8Der: Uint8Array): Uint8Array {
  const prefix = pkcs8Prefix(p);
  const der = Buffer.from(pkcs8Der);
  if (der.length !== prefix.length + SEED_BYTES || !der.subarray(0, prefix.length).equals(prefix)) {
    throw new Error("stored private key is not an ML-DSA seed of this key spec");
  }
  return der.subarray(prefix.length);
}

/** A key pair as stored: PKCS#8 DER (seed form) and DER SubjectPublicKeyInfo. */
export interface MlDsaKeyPair {
  readonly privateKey: Buffer;
  readonly publicKeySpkiDer: Buffer;
}

/** Deterministic key generation from a 32-byte seed; only known-answer tests pass their own seed. */
export function mlDsaKeyPairFromSeed(spec: KeySpec, seed: Uint8Array): MlDsaKeyPair {
  const p = paramsOf(spec);
  if (seed.length !== SEED_BYTES) throw new TypeError(`ML-DSA seed must be ${SEED_BYTES} bytes`);
  const { publicKey } = p.dsa.keygen(Uint8Array.from(seed));
  return { privateKey: Buffer.concat([pkcs8Prefix(p), seed]), publicKeySpkiDer: encodeSpki(p, publicKey) };
}

/** A fresh ML-DSA key pair (about 5 ms of CPU; the server runs it on a worker thread). */
export function generateMlDsaKeyPair(spec: KeySpec): MlDsaKeyPair {
  return mlDsaKeyPairFromSeed(spec, randomBytes(SEED_BYTES));
}

/** The SPKI of a stored private key. */
export function mlDsaSpkiFromPrivateKey(spec: KeySpec, pkcs8Der: Uint8Array): Buffer {
  const p = paramsOf(spec);
  return encodeSpki(p, p.dsa.keygen(Uint8Array.from(seedFromPkcs8(p, pkcs8Der))).publicKey);
}

/**
 * Signs with hedged (randomized) ML-DSA. `externalMu` false: pure ML-DSA over the message with
 * an empty context (FIPS 204 Algorithm 2); true: the message is the 64-byte mu and is signed as is.
 */
export function mlDsaSign(spec: KeySpec, pkcs8Der: Uint8Array, message: Uint8Array, externalMu: boolean): Uint8Array {
  const p = paramsOf(spec);
  const secretKey = deriveOnce(`ml-dsa/${spec}`, pkcs8Der, () => p.dsa.keygen(Uint8Array.from(seedFromPkcs8(p, pkcs8Der))).secretKey);
  return externalMu ? p.dsa.internal.sign(message, secretKey, { externalMu: true }) : p.dsa.sign(message, secretKey);
}

/** Verifies; false for a wrong-sized or altered signature or a public key that is not of the spec. */
export function mlDsaVerify(spec: KeySpec, spkiDer: Uint8Array, message: Uint8Array, signature: Uint8Array, externalMu: boolean): boolean {
  const p = paramsOf(spec);
  const publicKey = mlDsaPublicKeyFromSpki(spec, spkiDer);
  if (!publicKey || signature.length !== p.dsa.lengths.signature) return false;
  try {
    return externalMu ? p.dsa.internal.verify(signature, message, publicKey, { externalMu: true }) : p.dsa.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
