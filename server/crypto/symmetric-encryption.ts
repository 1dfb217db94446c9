import { KmsError } from "../errors/kms-error.js";
import { openAesGcm, sealAesGcm } from "./aes-gcm.js";
import { encodeBlobHeader, encodeCiphertextBlob, INVALID_CIPHERTEXT_MESSAGE, type CiphertextBlob } from "./ciphertext-blob.js";
import { encodeEncryptionContext, type EncryptionContext } from "./encryption-context.js";

/** One version of a symmetric key, with its material in the clear (only ever in memory). */
export interface SymmetricKeyVersion {
  readonly keyId: string;
  readonly version: number;
  readonly material: Uint8Array;
}

/** SYMMETRIC_DEFAULT encryption: AES-256-GCM, with the blob header and the encryption context as associated data. */
export function encryptSymmetric(key: SymmetricKeyVersion, plaintext: Uint8Array, context: EncryptionContext): Buffer {
  const header = encodeBlobHeader(key.keyId, key.version);
  const { iv, ciphertext, tag } = sealAesGcm(key.material, plaintext, associatedData(header, context));
  return encodeCiphertextBlob(header, iv, ciphertext, tag);
}

/** Decrypts a parsed blob with the version it names; any mismatch is the same InvalidCiphertextException. */
export function decryptSymmetric(key: SymmetricKeyVersion, blob: CiphertextBlob, context: EncryptionContext): Buffer {
  if (blob.keyId !== key.keyId || blob.keyVersion !== key.version) throw new KmsError("InvalidCiphertextException", INVALID_CIPHERTEXT_MESSAGE);
  const plaintext = openAesGcm(key.material, blob, associatedData(blob.header, context));
  if (!plaintext) throw new KmsError("InvalidCiphertextException", INVALID_CIPHERTEXT_MESSAGE);
  return plaintext;
}

function associatedData(header: Uint8Array, context: EncryptionContext): Buffer {
  return Buffer.concat([header, encodeEncryptionContext(context)]);
}
