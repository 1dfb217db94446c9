import { KmsError } from "../errors/kms-error.js";
import { GCM_IV_BYTES, GCM_TAG_BYTES } from "./aes-gcm.js";

/**
 * The symmetric ciphertext blob, format version 1 (docs/ciphertext-format.md):
 *
 *   u8 version (1) | u8 L | L bytes key id (ASCII) | u32 key version (big-endian)
 *   | 12 bytes IV | ciphertext | 16 bytes GCM tag
 *
 * Everything before the IV is the header; it is authenticated as associated data, so the key
 * id and version cannot be changed without Decrypt failing.
 */
export interface CiphertextBlob {
  readonly keyId: string;
  readonly keyVersion: number;
  readonly header: Uint8Array;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

export const CIPHERTEXT_FORMAT_VERSION = 1;
const KEY_ID_PATTERN = /^[0-9a-z-]{1,255}$/;

/** The single message for every ciphertext that cannot be decrypted, so failures reveal nothing about why. */
export const INVALID_CIPHERTEXT_MESSAGE =
  "The ciphertext cannot be decrypted: it was altered, its encryption context differs, or it was not made by a key of this region.";

/** Builds the header that names the key and version. */
export function encodeBlobHeader(keyId: string, keyVersion: number): Buffer {
  if (!KEY_ID_PATTERN.test(keyId)) throw new TypeError(`not a key id: ${keyId}`);
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 0xffffffff) throw new TypeError(`bad key version ${keyVersion}`);
  const id = Buffer.from(keyId, "ascii");
  const header = Buffer.alloc(2 + id.length + 4);
  header[0] = CIPHERTEXT_FORMAT_VERSION;
  header[1] = id.length;
  id.copy(header, 2);
  header.writeUInt32BE(keyVersion, 2 + id.length);
  return header;
}

/** Joins a header with the sealed parts into the blob returned to clients. */
export function encodeCiphertextBlob(header: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Buffer {
  return Buffer.concat([header, iv, ciphertext, tag]);
}

/** Parses untrusted bytes; any malformation is InvalidCiphertextException, never a crash. */
export function parseCiphertextBlob(bytes: Uint8Array): CiphertextBlob {
  if (bytes.length < 2 || bytes[0] !== CIPHERTEXT_FORMAT_VERSION) throw invalid();
  const idLength = bytes[1]!;
  const headerLength = 2 + idLength + 4;
  if (idLength === 0 || bytes.length < headerLength + GCM_IV_BYTES + 1 + GCM_TAG_BYTES) throw invalid();
  const keyId = Buffer.from(bytes.subarray(2, 2 + idLength)).toString("latin1");
  if (!KEY_ID_PATTERN.test(keyId)) throw invalid();
  const keyVersion = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readUInt32BE(2 + idLength);
  if (keyVersion === 0) throw invalid();
  const ivEnd = headerLength + GCM_IV_BYTES;
  return {
    keyId,
    keyVersion,
    header: bytes.subarray(0, headerLength),
    iv: bytes.subarray(headerLength, ivEnd),
    ciphertext: bytes.subarray(ivEnd, bytes.length - GCM_TAG_BYTES),
    tag: bytes.subarray(bytes.length - GCM_TAG_BYTES),
  };
}

function invalid(): KmsError {
  return new KmsError("InvalidCiphertextException", INVALID_CIPHERTEXT_MESSAGE);
}
