import { ByteReader, NeedMoreBytes } from "./byte-reader.js";
import { encodeEncryptionContext, MAX_CONTEXT_BYTES, readEncryptionContext, type EncryptionContext } from "./encryption-context.js";
import { EnvelopeError } from "./errors.js";

// The header of an envelope message (docs/envelope-format.md). Everything a reader needs to find
// the data key and check it is in here; the body is only chunks.

/** "KMSE": tells an envelope message apart from a KMS ciphertext blob (which starts with 0x01). */
export const MAGIC = Uint8Array.of(0x4b, 0x4d, 0x53, 0x45);
export const FORMAT_VERSION = 1;
/** AES-256-GCM chunks, HKDF-SHA256 key derivation, key commitment, HMAC-SHA256 header tag. */
export const SUITE_AES256_GCM_HKDF_SHA256_COMMIT = 0x0001;
/** The same, and an ECDSA P-384 / SHA-384 signature of the whole message by a key made for it. */
export const SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384 = 0x0002;
/**
 * The encryption context key that carries a signed message's public verification key (base64 of
 * the compressed P-384 point). Being in the context, it is bound to the data key by KMS: a reader
 * who can only decrypt cannot put in a key of its own. Reserved: a caller's context may not use it.
 */
export const PUBLIC_KEY_CONTEXT_KEY = "kmse-public-key";

export const MESSAGE_ID_BYTES = 32;
export const COMMITMENT_BYTES = 32;
export const HEADER_TAG_BYTES = 32;
export const MAX_ENCRYPTED_DATA_KEYS = 16;
export const MAX_KEY_ARN_BYTES = 2048;
/** The largest KMS ciphertext blob (KMS's own Decrypt limit). */
export const MAX_DATA_KEY_BLOB_BYTES = 6144;
/** Chunk size bounds: below 1 KiB the overhead is absurd; above 16 MiB a reader's buffer would be. */
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** The longest valid header: every variable field at its bound. */
export const MAX_HEADER_BYTES =
  MAGIC.length + 1 + 2 + MESSAGE_ID_BYTES + MAX_CONTEXT_BYTES + 1 + MAX_ENCRYPTED_DATA_KEYS * (2 + MAX_KEY_ARN_BYTES + 2 + MAX_DATA_KEY_BLOB_BYTES) + 4 + COMMITMENT_BYTES + HEADER_TAG_BYTES;

/** One copy of the data key, encrypted under one KMS key. */
export interface EncryptedDataKey {
  /** The ARN of the KMS key that wraps it (as KMS reported it). */
  readonly keyArn: string;
  /** The KMS ciphertext blob of the data key. */
  readonly ciphertextBlob: Uint8Array;
}

/** A parsed header. Nothing in it is trusted until the commitment and the tag are checked. */
export interface EnvelopeHeader {
  /** SUITE_AES256_GCM_HKDF_SHA256_COMMIT, or its signed variant. */
  readonly suiteId: number;
  readonly messageId: Uint8Array;
  readonly encryptionContext: Record<string, string>;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  readonly chunkSize: number;
  readonly commitment: Uint8Array;
  /** The bytes the tag authenticates: the header from the magic through the commitment. */
  readonly authenticated: Uint8Array;
  readonly tag: Uint8Array;
}

/** The header's fields before the tag, as the encryptor has them. */
export interface HeaderFields {
  readonly suiteId: number;
  readonly messageId: Uint8Array;
  readonly encryptionContext: EncryptionContext;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  readonly chunkSize: number;
  readonly commitment: Uint8Array;
}

/** The header bytes the tag covers (everything but the tag), from validated fields. */
export function encodeHeaderBody(fields: HeaderFields): Buffer {
  const parts: Buffer[] = [Buffer.from(MAGIC), Buffer.of(FORMAT_VERSION), u16(fields.suiteId), Buffer.from(fields.messageId), encodeEncryptionContext(fields.encryptionContext)];
  parts.push(Buffer.of(fields.encryptedDataKeys.length));
  for (const edk of fields.encryptedDataKeys) {
    const arn = Buffer.from(edk.keyArn, "latin1");
    parts.push(u16(arn.length), arn, u16(edk.ciphertextBlob.length), Buffer.from(edk.ciphertextBlob));
  }
  const chunkSize = Buffer.alloc(4);
  chunkSize.writeUInt32BE(fields.chunkSize);
  parts.push(chunkSize, Buffer.from(fields.commitment));
  return Buffer.concat(parts);
}

/**
 * Parses a header from the start of `bytes`, which may be only a prefix of the message: returns
 * the header and its length, or `needed` (the total length to wait for) when the bytes end
 * first. Any field out of bounds throws EnvelopeError at once, whatever follows, so a reader
 * never buffers more than the largest valid header while waiting.
 */
export function tryParseHeader(bytes: Uint8Array): { header: EnvelopeHeader; length: number } | { needed: number } {
  try {
    const header = readHeader(new ByteReader(bytes));
    return { header, length: header.authenticated.length + HEADER_TAG_BYTES };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return { needed: error.needed };
    throw error;
  }
}

/** Parses the header of a complete message; a message too short for its header is Truncated. */
export function parseEnvelopeHeader(bytes: Uint8Array): { header: EnvelopeHeader; length: number } {
  const parsed = tryParseHeader(bytes);
  if ("needed" in parsed) throw new EnvelopeError("Truncated", "the input ends inside the header");
  return parsed;
}

function readHeader(r: ByteReader): EnvelopeHeader {
  const magic = r.take(MAGIC.length);
  if (!Buffer.from(magic).equals(MAGIC)) throw new EnvelopeError("Unsupported", "not an envelope message (bad magic)");
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw new EnvelopeError("Unsupported", `unsupported format version ${version}`);
  const suiteId = r.u16();
  if (suiteId !== SUITE_AES256_GCM_HKDF_SHA256_COMMIT && suiteId !== SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384) {
    throw new EnvelopeError("Unsupported", `unsupported algorithm suite 0x${suiteId.toString(16).padStart(4, "0")}`);
  }
  const messageId = r.take(MESSAGE_ID_BYTES);
  const encryptionContext = readEncryptionContext(r);
  // The verification key is there exactly when the suite signs: a signed message's data key
  // (bound to its key by KMS) cannot be passed off in an unsigned message, nor the other way.
  if (Object.hasOwn(encryptionContext, PUBLIC_KEY_CONTEXT_KEY) !== (suiteId === SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384)) {
    throw new EnvelopeError("MalformedHeader", `the context key ${PUBLIC_KEY_CONTEXT_KEY} belongs to signed messages, and only to them`);
  }
  const count = r.u8();
  if (count < 1 || count > MAX_ENCRYPTED_DATA_KEYS) throw new EnvelopeError("MalformedHeader", `${count} encrypted data keys, not 1-${MAX_ENCRYPTED_DATA_KEYS}`);
  const encryptedDataKeys: EncryptedDataKey[] = [];
  for (let i = 0; i < count; i++) {
    const arn = r.take(r.length16("key ARN", 1, MAX_KEY_ARN_BYTES));
    if (!isPrintableAscii(arn)) throw new EnvelopeError("MalformedHeader", "a key ARN is not printable ASCII");
    const ciphertextBlob = r.take(r.length16("encrypted data key", 1, MAX_DATA_KEY_BLOB_BYTES));
    encryptedDataKeys.push({ keyArn: Buffer.from(arn).toString("latin1"), ciphertextBlob });
  }
  const chunkSize = r.u32();
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new EnvelopeError("MalformedHeader", `chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}-${MAX_CHUNK_SIZE}`);
  const commitment = r.take(COMMITMENT_BYTES);
  const authenticated = r.bytes.subarray(0, r.offset);
  const tag = r.take(HEADER_TAG_BYTES);
  return { suiteId, messageId, encryptionContext, encryptedDataKeys, chunkSize, commitment, authenticated, tag };
}

/** Whether a key ARN can go in a header: 1-2048 printable ASCII characters. */
export function isValidKeyArn(arn: string): boolean {
  return arn.length >= 1 && arn.length <= MAX_KEY_ARN_BYTES && /^[\x21-\x7e]+$/.test(arn);
}

function isPrintableAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x21 || b > 0x7e) return false;
  return true;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
