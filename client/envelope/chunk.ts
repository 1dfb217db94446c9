import { createCipheriv, createDecipheriv, type DecipherGCM } from "node:crypto";
import { MESSAGE_ID_BYTES } from "./header.js";

// One chunk of the body on the wire:
//   u8 kind (0 = more chunks follow, 1 = final) | u32 length n | n bytes ciphertext | 16 bytes tag
// AES-256-GCM under the message's chunk key. The nonce is the chunk's index (the key is unique to
// the message, so a counter never repeats); the associated data binds the message id, the index
// and the kind, so a chunk moved, repeated, taken from another message or re-labelled final
// fails its tag.

export const CHUNK_PREFIX_BYTES = 5;
export const CHUNK_TAG_BYTES = 16;
export const KIND_MORE = 0;
export const KIND_FINAL = 1;
/** Indexes are u32: a message has at most 2^32 chunks. */
export const MAX_CHUNK_INDEX = 0xffffffff;

/** 12 bytes: eight zero bytes, then the index as u32 big-endian. */
export function chunkNonce(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

/** 37 bytes: message id, index (u32 big-endian), kind. */
export function chunkAad(messageId: Uint8Array, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(MESSAGE_ID_BYTES + 5);
  aad.set(messageId, 0);
  aad.writeUInt32BE(index, MESSAGE_ID_BYTES);
  aad[MESSAGE_ID_BYTES + 4] = final ? KIND_FINAL : KIND_MORE;
  return aad;
}

/**
 * Encrypts one chunk: its frame as three parts (prefix, ciphertext, tag), which concatenate to
 * the frame. Parts, not one buffer: copying every ciphertext into a frame would cost a third
 * of the encryption time.
 */
export function sealChunk(chunkKey: Uint8Array, messageId: Uint8Array, index: number, final: boolean, plaintext: Uint8Array): [Buffer, Buffer, Buffer] {
  const prefix = Buffer.allocUnsafe(CHUNK_PREFIX_BYTES);
  prefix[0] = final ? KIND_FINAL : KIND_MORE;
  prefix.writeUInt32BE(plaintext.length, 1);
  const cipher = createCipheriv("aes-256-gcm", chunkKey, chunkNonce(index), { authTagLength: CHUNK_TAG_BYTES });
  cipher.setAAD(chunkAad(messageId, index, final));
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return [prefix, ciphertext, cipher.getAuthTag()];
}

/**
 * A decipher for one chunk, to be fed its ciphertext in any number of pieces. GCM's update
 * returns plaintext before the tag is checked: the caller holds it until final() succeeds.
 */
export function chunkDecipher(chunkKey: Uint8Array, messageId: Uint8Array, index: number, final: boolean): DecipherGCM {
  const decipher = createDecipheriv("aes-256-gcm", chunkKey, chunkNonce(index), { authTagLength: CHUNK_TAG_BYTES });
  decipher.setAAD(chunkAad(messageId, index, final));
  return decipher;
}
