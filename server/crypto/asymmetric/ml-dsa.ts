import { randomBytes } from "node:crypto";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { deriveOnce } from "./derived-key-cache.js";
import { encodeSpki, publicKeyFromSpki, seedFromPkcs8, seedPkcs8, type NistPqAlgorithm } from "./nist-pq-der.js";

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
  readonly der: NistPqAlgorithm;
}

const nistParams = (dsa: typeof ml_dsa44, lastArc: number): Params => ({ dsa, der: { name: "ML-DSA", arcs: [3, lastArc], seedBytes: SEED_BYTES, publicKeyBytes: dsa.lengths.publicKey ?? 0 } });
const params: ReadonlyMap<KeySpec, Params> = new Map([
  [KeySpec.ML_DSA_44, nistParams(ml_dsa44, 17)],
  [KeySpec.ML_DSA_65, nistParams(ml_dsa65, 18)],
  [KeySpec.ML_DSA_87, nistParams(ml_dsa87, 19)],
]);

export function isMlDsaSpec(spec: KeySpec): boolean {
  return params.has(spec);
}

function paramsOf(spec: KeySpec): Params {
  const p = params.get(spec);
  if (!p) throw new TypeError(`${KeySpec[spec]} is not an ML-DSA key spec`);
  return p;
}

/** The raw public key inside an SPKI of the spec; undefined when the bytes are anything else. */
export function mlDsaPublicKeyFromSpki(spec: KeySpec, spkiDer: Uint8Array): Uint8Array | undefined {
  return publicKeyFromSpki(paramsOf(spec).der, spkiDer);
}

/** A key pair as stored: PKCS#8 DER (seed form) and DER SubjectPublicKeyInfo. */
export interface MlDsaKeyPair {
  readonly privateKey: Buffer;
  readonly publicKeySpkiDer: Buffer;
}

/** Deterministic key generation from a 32-byte seed; only known-answer tests pass their own seed. */
export function mlDsaKeyPairFromSeed(spec: KeySpec, seed: Uint8Array): MlDsaKeyPair {
  const p = paramsOf(spec);
  const privateKey = seedPkcs8(p.der, seed);
  return { privateKey, publicKeySpkiDer: encodeSpki(p.der, p.dsa.keygen(Uint8Array.from(seed)).publicKey) };
}

/** A fresh ML-DSA key pair (about 5 ms of CPU; the server runs it on a worker thread). */
export function generateMlDsaKeyPair(spec: KeySpec): MlDsaKeyPair {
  return mlDsaKeyPairFromSeed(spec, randomBytes(SEED_BYTES));
}

/** The SPKI of a stored private key. */
export function mlDsaSpkiFromPrivateKey(spec: KeySpec, pkcs8Der: Uint8Array): Buffer {
  const p = paramsOf(spec);
  return encodeSpki(p.der, p.dsa.keygen(Uint8Array.from(seedFromPkcs8(p.der, pkcs8Der))).publicKey);
}

/**
 * Signs with hedged (randomized) ML-DSA. `externalMu` false: pure ML-DSA over the message with
 * an empty context (FIPS 204 Algorithm 2); true: the message is the 64-byte mu and is signed as is.
 */
export function mlDsaSign(spec: KeySpec, pkcs8Der: Uint8Array, message: Uint8Array, externalMu: boolean): Uint8Array {
  const p = paramsOf(spec);
  const secretKey = deriveOnce(`ml-dsa/${spec}`, pkcs8Der, () => p.dsa.keygen(Uint8Array.from(seedFromPkcs8(p.der, pkcs8Der))).secretKey);
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
