import { constants, privateDecrypt, publicEncrypt } from "node:crypto";
import { EncryptionAlgorithmSpec, KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { encryptionAlgorithmFits, rsaModulusBytes, rsaOaepMaxPlaintextBytes } from "../../domain/key-specs.js";
import { KmsError } from "../../errors/kms-error.js";
import { importPrivateKey, importPublicKey } from "./key-objects.js";

/** OAEP's hash; MGF1 uses the same one (OpenSSL's default when only the OAEP digest is set), as AWS does. */
function oaepHash(spec: KeySpec, algorithm: EncryptionAlgorithmSpec): "sha1" | "sha256" {
  if (encryptionAlgorithmFits(spec, algorithm)) {
    if (algorithm === EncryptionAlgorithmSpec.RSAES_OAEP_SHA_1) return "sha1";
    if (algorithm === EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256) return "sha256";
  }
  throw new KmsError(
    "InvalidKeyUsageException",
    `Encryption algorithm ${EncryptionAlgorithmSpec[algorithm] ?? algorithm} is not valid for key spec ${KeySpec[spec] ?? spec}`,
  );
}

/**
 * RSAES-OAEP encryption with the public key (DER SPKI). A plaintext over the OAEP limit of the
 * key and hash is a ValidationException, as in AWS.
 */
export function encryptRsaOaep(spec: KeySpec, algorithm: EncryptionAlgorithmSpec, publicKeySpkiDer: Uint8Array, plaintext: Uint8Array): Buffer {
  const hash = oaepHash(spec, algorithm);
  const max = rsaOaepMaxPlaintextBytes(spec, algorithm)!;
  if (plaintext.length < 1 || plaintext.length > max) {
    throw new KmsError("ValidationException", `Plaintext is ${plaintext.length} bytes; ${EncryptionAlgorithmSpec[algorithm]} with ${KeySpec[spec]} takes 1 to ${max} bytes`);
  }
  return publicEncrypt({ key: importPublicKey(spec, publicKeySpkiDer), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, plaintext);
}

/**
 * RSAES-OAEP decryption with the stored private key (PKCS#8 DER). Any failure, wrong length,
 * padding or key, is undefined with no detail, so callers cannot become a padding oracle.
 */
export function decryptRsaOaep(spec: KeySpec, algorithm: EncryptionAlgorithmSpec, privateKey: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  const hash = oaepHash(spec, algorithm);
  if (ciphertext.length !== rsaModulusBytes.get(spec)) return undefined;
  const key = importPrivateKey(spec, privateKey);
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ciphertext);
  } catch {
    return undefined;
  }
}
