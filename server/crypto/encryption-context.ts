/** The encryption context: a string map bound to a ciphertext as associated data. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** The request fields (proto names) that carry an encryption context, in the order they are read. */
export const ENCRYPTION_CONTEXT_FIELDS: readonly string[] = ["encryption_context", "source_encryption_context", "destination_encryption_context"];

/**
 * The request field holding the encryption context an access check on one action judges:
 * ReEncrypt's source key sees the source context (kms:ReEncryptFrom), its destination key the
 * destination's (kms:ReEncryptTo); every other action the request's encryption_context.
 */
export function encryptionContextFieldOf(action: string): string {
  if (action === "kms:ReEncryptFrom") return "source_encryption_context";
  if (action === "kms:ReEncryptTo") return "destination_encryption_context";
  return "encryption_context";
}

/**
 * The canonical bytes of an encryption context, so that the same pairs in any order give the
 * same associated data: a uint16 count, then per pair (sorted by the key's UTF-8 bytes) a
 * uint16-length-prefixed key and value.
 */
export function encodeEncryptionContext(context: EncryptionContext): Buffer {
  const pairs = Object.entries(context).map(([k, v]) => [Buffer.from(k, "utf8"), Buffer.from(v, "utf8")] as const);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u16(pairs.length)];
  for (const [k, v] of pairs) parts.push(u16(k.length), k, u16(v.length), v);
  return Buffer.concat(parts);
}

/** The size of the canonical encoding, for the limit check. */
export function encodedContextSize(context: EncryptionContext): number {
  let size = 2;
  for (const [k, v] of Object.entries(context)) size += 4 + Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8");
  return size;
}

function u16(n: number): Buffer {
  if (n > 0xffff) throw new RangeError("encryption context part longer than 65535 bytes");
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
