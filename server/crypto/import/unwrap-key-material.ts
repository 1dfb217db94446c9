import { constants, createPrivateKey, privateDecrypt, type KeyObject } from "node:crypto";
import type { AlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { unwrapAesKwp } from "./aes-key-wrap-pad.js";
import { wrappingScheme } from "./wrapping-algorithms.js";

export { wrappingAlgorithmFits } from "./wrapping-algorithms.js";

/** RSA_AES_KEY_WRAP_* always use a 256-bit ephemeral AES key (AWS: `openssl rand -out aes-key.bin 32`). */
export const IMPORT_AES_KEY_BYTES = 32;

/**
 * Recovers imported key material from ImportKeyMaterial's EncryptedKeyMaterial with the
 * wrapping private key (PKCS#8 DER, from the import token). RSAES_OAEP_*: one OAEP block of the
 * modulus length. RSA_AES_KEY_WRAP_*: OAEP(256-bit AES key) || AES-KWP(material) (RFC 5649),
 * the concatenation AWS's OpenSSL steps produce. Any failure, wrong length, padding, integrity
 * check or key, is undefined with no detail, so callers cannot become a padding oracle.
 * Algorithms AWS refuses throw the KmsError of wrappingScheme; a wrapping key that is not RSA
 * throws a plain Error (it came from an authenticated token: a server fault).
 */
export function unwrapImportedMaterial(algorithm: AlgorithmSpec, wrappingPrivateKeyPkcs8Der: Uint8Array, encryptedKeyMaterial: Uint8Array): Buffer | undefined {
  const { oaepHash, aesKeyWrap } = wrappingScheme(algorithm);
  const key = createPrivateKey({ key: Buffer.from(wrappingPrivateKeyPkcs8Der), format: "der", type: "pkcs8" });
  const modulusBits = key.asymmetricKeyType === "rsa" ? key.asymmetricKeyDetails?.modulusLength : undefined;
  if (modulusBits === undefined) throw new Error("the wrapping private key is not an RSA key");
  const k = modulusBits / 8;
  if (!aesKeyWrap) return decryptOaep(key, oaepHash, encryptedKeyMaterial, k);
  if (encryptedKeyMaterial.length <= k) return undefined;
  const aesKey = decryptOaep(key, oaepHash, encryptedKeyMaterial.subarray(0, k), k);
  if (aesKey?.length !== IMPORT_AES_KEY_BYTES) return undefined;
  try {
    return unwrapAesKwp(aesKey, encryptedKeyMaterial.subarray(k));
  } finally {
    aesKey.fill(0);
  }
}

/** RSAES-OAEP decryption; node sets MGF1's hash to the OAEP hash, as AWS's `rsa_mgf1_md` does. */
function decryptOaep(key: KeyObject, oaepHash: "sha1" | "sha256", ciphertext: Uint8Array, modulusBytes: number): Buffer | undefined {
  if (ciphertext.length !== modulusBytes) return undefined;
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, ciphertext);
  } catch {
    return undefined;
  }
}
