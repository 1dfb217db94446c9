import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import type { AlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { wrapAesKwp } from "./aes-key-wrap-pad.js";
import { IMPORT_AES_KEY_BYTES } from "./unwrap-key-material.js";
import { wrappingScheme } from "./wrapping-algorithms.js";

/**
 * What a client does before ImportKeyMaterial (AWS's "Encrypt the key material" step) with the
 * wrapping public key (DER SPKI): the inverse of unwrapImportedMaterial. The server never calls
 * it; tests and clients do. Material too large for one OAEP block throws node's error.
 */
export function wrapMaterialForImport(algorithm: AlgorithmSpec, wrappingPublicKeySpkiDer: Uint8Array, material: Uint8Array): Buffer {
  const { oaepHash, aesKeyWrap } = wrappingScheme(algorithm);
  const key = createPublicKey({ key: Buffer.from(wrappingPublicKeySpkiDer), format: "der", type: "spki" });
  const encrypt = (plaintext: Uint8Array) => publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, plaintext);
  if (!aesKeyWrap) return encrypt(material);
  const aesKey = randomBytes(IMPORT_AES_KEY_BYTES);
  try {
    return Buffer.concat([encrypt(aesKey), wrapAesKwp(aesKey, material)]);
  } finally {
    aesKey.fill(0);
  }
}
