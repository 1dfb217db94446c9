import { randomBytes } from "node:crypto";
import { KeySpec } from "../../gen/kms/v1/types_pb.js";
import { generateAsymmetricKeyPair, generateHmacKey } from "../crypto/asymmetric/key-generation.js";
import { hmacKeyBytes } from "../domain/key-specs.js";

const SYMMETRIC_KEY_BYTES = 32;

/** The secret material of a new key, to be stored wrapped, and the public key of an asymmetric one. */
export interface NewKeyMaterial {
  /** 256-bit AES key, HMAC key, or private key as PKCS#8 DER. */
  readonly material: Buffer;
  /** DER SubjectPublicKeyInfo, for asymmetric keys. */
  readonly publicKey?: Buffer;
}

/** Generates a key's material; asymmetric generation runs off the event loop (RSA-4096 takes seconds). */
export async function generateKeyMaterial(spec: KeySpec): Promise<NewKeyMaterial> {
  if (spec === KeySpec.SYMMETRIC_DEFAULT) return { material: randomBytes(SYMMETRIC_KEY_BYTES) };
  if (hmacKeyBytes.has(spec)) return { material: generateHmacKey(spec) };
  const pair = await generateAsymmetricKeyPair(spec);
  return { material: pair.privateKey, publicKey: pair.publicKeySpkiDer };
}
