import { createCipheriv, createDecipheriv } from "node:crypto";
import { randomNonce } from "./nonce-pool.js";

/** GCM's recommended 96-bit nonce. */
export const GCM_IV_BYTES = 12;
/** The full 128-bit authentication tag; never truncated. */
export const GCM_TAG_BYTES = 16;

/** The three parts of an AES-GCM encryption. */
export interface Sealed {
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/**
 * Encrypts and authenticates with AES-GCM (128 or 256-bit key). The IV is random unless given:
 * only known-answer tests pass one.
 */
export function sealAesGcm(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, iv: Uint8Array = randomNonce(GCM_IV_BYTES)): Sealed {
  const cipher = createCipheriv(aesGcmName(key), key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Decrypts and checks the tag; undefined when anything was altered or the key or AAD differ. */
export function openAesGcm(key: Uint8Array, sealed: Sealed, aad: Uint8Array): Buffer | undefined {
  if (sealed.iv.length !== GCM_IV_BYTES || sealed.tag.length !== GCM_TAG_BYTES) return undefined;
  const decipher = createDecipheriv(aesGcmName(key), key, sealed.iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.tag);
  try {
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

function aesGcmName(key: Uint8Array): "aes-128-gcm" | "aes-256-gcm" {
  if (key.length === 32) return "aes-256-gcm";
  if (key.length === 16) return "aes-128-gcm";
  throw new TypeError(`AES-GCM key must be 16 or 32 bytes, got ${key.length}`);
}
