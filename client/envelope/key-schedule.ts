import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { COMMITMENT_BYTES, SUITE_AES256_GCM_HKDF_SHA256_COMMIT } from "./header.js";

// Everything a message uses is derived from its data key with HKDF-SHA256, salted with the
// message id: a data key reused across messages (the data key cache) still gives every message
// its own chunk key, so chunk nonces, which are only counters, never repeat under one key.

/** The data key's length: AES-256. */
export const DATA_KEY_BYTES = 32;

/** The three values one message derives from its data key. */
export interface MessageKeys {
  /** AES-256-GCM key of the chunks. */
  readonly chunkKey: Buffer;
  /** HMAC-SHA256 key of the header tag. */
  readonly headerKey: Buffer;
  /** Stored in the header: binds the header to exactly one data key (key commitment). */
  readonly commitment: Buffer;
}

const label = (purpose: string): Buffer => {
  const suite = Buffer.alloc(2);
  suite.writeUInt16BE(SUITE_AES256_GCM_HKDF_SHA256_COMMIT);
  return Buffer.concat([Buffer.from(`kms-envelope v1 ${purpose}`, "ascii"), suite]);
};
const CHUNK_KEY_INFO = label("chunk key");
const HEADER_KEY_INFO = label("header key");
const COMMITMENT_INFO = label("commitment");

/** Derives a message's keys. The caller zeroes them (and the data key) when done. */
export function deriveMessageKeys(dataKey: Uint8Array, messageId: Uint8Array): MessageKeys {
  if (dataKey.length !== DATA_KEY_BYTES) throw new RangeError(`a data key is ${DATA_KEY_BYTES} bytes, not ${dataKey.length}`);
  const derive = (info: Buffer, length: number) => Buffer.from(hkdfSync("sha256", dataKey, messageId, info, length));
  return { chunkKey: derive(CHUNK_KEY_INFO, 32), headerKey: derive(HEADER_KEY_INFO, 32), commitment: derive(COMMITMENT_INFO, COMMITMENT_BYTES) };
}

/** The header tag: HMAC-SHA256 over every header byte before it, context and commitment included. */
export function headerTag(headerKey: Uint8Array, authenticated: Uint8Array): Buffer {
  return createHmac("sha256", headerKey).update(authenticated).digest();
}

/** Constant-time equality of two byte strings (false, not an exception, when lengths differ). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Zeroes every buffer given. */
export function zero(...buffers: Array<Uint8Array | undefined>): void {
  for (const b of buffers) b?.fill(0);
}
