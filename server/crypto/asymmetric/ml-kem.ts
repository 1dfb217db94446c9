import { randomBytes } from "node:crypto";
import { ml_kem512, ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { KmsError } from "../../errors/kms-error.js";
import { deriveOnce } from "./derived-key-cache.js";
import { encodeSpki, publicKeyFromSpki, seedFromPkcs8, seedPkcs8, type NistPqAlgorithm } from "./nist-pq-der.js";

/**
 * ML-KEM (FIPS 203) through @noble/post-quantum, since Node 20's OpenSSL 3.0 has none.
 *
 * Stored private key: PKCS#8 DER in the seed-only form of the IETF LAMPS profile (the 64-byte
 * seed d || z under id-alg-ml-kem-NNN, 2.16.840.1.101.3.4.4.1-3), the form OpenSSL 3.5 writes;
 * decapsulation expands it once (cached beside the key material). Public key: SubjectPublicKeyInfo
 * with that OID and no parameters, BIT STRING = the raw encapsulation key.
 */

const SEED_BYTES = 64;

interface Params {
  readonly kem: typeof ml_kem768;
  readonly der: NistPqAlgorithm;
}

const nistParams = (kem: typeof ml_kem768, lastArc: number): Params => ({ kem, der: { name: "ML-KEM", arcs: [4, lastArc], seedBytes: SEED_BYTES, publicKeyBytes: kem.lengths.publicKey ?? 0 } });
const params: ReadonlyMap<KeySpec, Params> = new Map([
  [KeySpec.ML_KEM_512, nistParams(ml_kem512, 1)],
  [KeySpec.ML_KEM_768, nistParams(ml_kem768, 2)],
  [KeySpec.ML_KEM_1024, nistParams(ml_kem1024, 3)],
]);

export function isMlKemSpec(spec: KeySpec): boolean {
  return params.has(spec);
}

function paramsOf(spec: KeySpec): Params {
  const p = params.get(spec);
  if (!p) throw new TypeError(`${KeySpec[spec]} is not an ML-KEM key spec`);
  return p;
}

/** The length of an encapsulated secret (ciphertext) of the spec: 768, 1088 or 1568 bytes. */
export function mlKemCiphertextBytes(spec: KeySpec): number {
  return paramsOf(spec).kem.lengths.cipherText ?? 0;
}

/** A key pair as stored: PKCS#8 DER (seed form) and DER SubjectPublicKeyInfo. */
export interface MlKemKeyPair {
  readonly privateKey: Buffer;
  readonly publicKeySpkiDer: Buffer;
}

/** Deterministic key generation from the 64-byte seed d || z; only known-answer tests pass their own. */
export function mlKemKeyPairFromSeed(spec: KeySpec, seed: Uint8Array): MlKemKeyPair {
  const p = paramsOf(spec);
  const privateKey = seedPkcs8(p.der, seed);
  return { privateKey, publicKeySpkiDer: encodeSpki(p.der, p.kem.keygen(Uint8Array.from(seed)).publicKey) };
}

/** A fresh ML-KEM key pair (about 1 to 3 ms of CPU; the server runs it on a worker thread). */
export function generateMlKemKeyPair(spec: KeySpec): MlKemKeyPair {
  return mlKemKeyPairFromSeed(spec, randomBytes(SEED_BYTES));
}

/** The SPKI of a stored private key. */
export function mlKemSpkiFromPrivateKey(spec: KeySpec, pkcs8Der: Uint8Array): Buffer {
  const p = paramsOf(spec);
  return encodeSpki(p.der, p.kem.keygen(Uint8Array.from(seedFromPkcs8(p.der, pkcs8Der))).publicKey);
}

/**
 * Encapsulates a fresh 32-byte shared secret under the public key. `message` (the 32 random
 * bytes m of FIPS 203) is for known-answer tests only; by default it is random.
 */
export function mlKemEncapsulate(spec: KeySpec, spkiDer: Uint8Array, message?: Uint8Array): { sharedSecret: Uint8Array; ciphertext: Uint8Array } {
  const p = paramsOf(spec);
  const publicKey = publicKeyFromSpki(p.der, spkiDer);
  if (!publicKey) throw new Error("stored public key is not an ML-KEM key of this spec");
  const { cipherText, sharedSecret } = p.kem.encapsulate(publicKey, message);
  return { sharedSecret, ciphertext: cipherText };
}

/**
 * Recovers the shared secret. A ciphertext of the wrong length is InvalidCiphertextException; one
 * of the right length always yields a secret (FIPS 203's implicit rejection: an altered
 * ciphertext gives an unrelated secret, not an error, so nothing tells a wrong key from tampering).
 */
export function mlKemDecapsulate(spec: KeySpec, pkcs8Der: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const p = paramsOf(spec);
  if (ciphertext.length !== p.kem.lengths.cipherText) {
    throw new KmsError("InvalidCiphertextException", `an ${KeySpec[spec]} encapsulated secret is ${p.kem.lengths.cipherText} bytes, not ${ciphertext.length}`);
  }
  const secretKey = deriveOnce(`ml-kem/${spec}`, pkcs8Der, () => p.kem.keygen(Uint8Array.from(seedFromPkcs8(p.der, pkcs8Der))).secretKey);
  return p.kem.decapsulate(Uint8Array.from(ciphertext), secretKey);
}
