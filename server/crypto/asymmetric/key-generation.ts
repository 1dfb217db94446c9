import { generateKeyPair, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { hmacKeyBytes, rsaModulusBytes } from "../../domain/key-specs.js";
import { importPrivateKey, nodeCurveNames, spkiOf } from "./key-objects.js";
import { cryptoWorkers } from "./crypto-worker-pool.js";
import { isMlDsaSpec, mlDsaSpkiFromPrivateKey } from "./ml-dsa.js";
import { isMlKemSpec, mlKemSpkiFromPrivateKey } from "./ml-kem.js";

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * New asymmetric key material, for the caller to wrap and store. privateKey is PKCS#8 DER
 * (for ML-DSA and ML-KEM the seed form, see ml-dsa.ts and ml-kem.ts); the public key is DER SubjectPublicKeyInfo,
 * what GetPublicKey returns.
 */
export interface AsymmetricKeyPair {
  readonly privateKey: Buffer;
  readonly publicKeySpkiDer: Buffer;
}


/**
 * Generates a key pair without blocking the event loop: RSA, EC and Ed25519 run on libuv's
 * thread pool (RSA-4096 takes seconds); ML-DSA and ML-KEM on a crypto worker thread (1 to 30 ms).
 */
export async function generateAsymmetricKeyPair(spec: KeySpec): Promise<AsymmetricKeyPair> {
  const modulusBytes = rsaModulusBytes.get(spec);
  const curve = nodeCurveNames.get(spec);
  let pair: { publicKey: Buffer; privateKey: Buffer };
  const publicKeyEncoding = { type: "spki", format: "der" } as const;
  const privateKeyEncoding = { type: "pkcs8", format: "der" } as const;
  if (modulusBytes !== undefined) {
    pair = await generateKeyPairAsync("rsa", { modulusLength: modulusBytes * 8, publicExponent: 0x10001, publicKeyEncoding, privateKeyEncoding });
  } else if (curve !== undefined) pair = await generateKeyPairAsync("ec", { namedCurve: curve, publicKeyEncoding, privateKeyEncoding });
  else if (spec === KeySpec.ECC_NIST_EDWARDS25519) pair = await generateKeyPairAsync("ed25519", { publicKeyEncoding, privateKeyEncoding });
  else if (isMlDsaSpec(spec) || isMlKemSpec(spec)) {
    const { privateKey, publicKeySpkiDer } = await cryptoWorkers.run(isMlDsaSpec(spec) ? "generateMlDsaKeyPair" : "generateMlKemKeyPair", spec);
    return { privateKey: Buffer.from(privateKey), publicKeySpkiDer: Buffer.from(publicKeySpkiDer) };
  }
  else throw new TypeError(`${KeySpec[spec] ?? spec} is not an asymmetric key spec`);
  return { privateKey: pair.privateKey, publicKeySpkiDer: pair.publicKey };
}

/** The SubjectPublicKeyInfo of stored private key material (for keys whose public half was not kept). */
export function derivePublicKey(spec: KeySpec, privateKey: Uint8Array): Buffer {
  if (isMlDsaSpec(spec)) return mlDsaSpkiFromPrivateKey(spec, privateKey);
  return isMlKemSpec(spec) ? mlKemSpkiFromPrivateKey(spec, privateKey) : spkiOf(importPrivateKey(spec, privateKey));
}

/** A random HMAC key as long as the spec says (HMAC_224: 28 bytes ... HMAC_512: 64). */
export function generateHmacKey(spec: KeySpec): Buffer {
  const bytes = hmacKeyBytes.get(spec);
  if (bytes === undefined) throw new TypeError(`${KeySpec[spec] ?? spec} is not an HMAC key spec`);
  return randomBytes(bytes);
}
