import { createCipheriv, createDecipheriv } from "node:crypto";

/**
 * RFC 5649's alternative initial value (its high 32 bits; OpenSSL appends the length itself).
 * OpenSSL's id-aes*-wrap-pad ciphers implement KWP (RFC 5649 = NIST SP 800-38F KWP) exactly; the
 * section 6 vectors and `openssl enc -id-aes256-wrap-pad` agree with them.
 */
const KWP_IV = Buffer.from("A65959A6", "hex");

const cipherByKekBytes: ReadonlyMap<number, string> = new Map([
  [16, "id-aes128-wrap-pad"],
  [24, "id-aes192-wrap-pad"],
  [32, "id-aes256-wrap-pad"],
]);

function cipherName(kek: Uint8Array): string {
  const name = cipherByKekBytes.get(kek.length);
  if (!name) throw new TypeError(`an AES key-wrap KEK must be 16, 24 or 32 bytes, got ${kek.length}`);
  return name;
}

/**
 * AES Key Wrap with Padding (RFC 5649) of 1 or more bytes; the output is the input rounded up to
 * 8 bytes, plus 8. What a client does before import: only tests and clients call it. One
 * update() call: in OpenSSL's wrap mode each update() is a separate wrap.
 */
export function wrapAesKwp(kek: Uint8Array, plaintext: Uint8Array): Buffer {
  if (plaintext.length < 1) throw new TypeError("AES-KWP wraps at least one byte");
  const cipher = createCipheriv(cipherName(kek), kek, KWP_IV);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/**
 * Reverses wrapAesKwp: undefined when the integrity check (the IV and the padding) fails, for
 * any wrong key, altered byte or malformed length, with no detail of which.
 */
export function unwrapAesKwp(kek: Uint8Array, wrapped: Uint8Array): Buffer | undefined {
  const name = cipherName(kek);
  // Shortest output is two semiblocks; OpenSSL would "unwrap" an empty input to an empty key.
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) return undefined;
  try {
    const decipher = createDecipheriv(name, kek, KWP_IV);
    const plaintext = Buffer.concat([decipher.update(wrapped), decipher.final()]);
    return plaintext.length > 0 ? plaintext : undefined;
  } catch {
    return undefined;
  }
}
