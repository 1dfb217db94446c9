import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { COMMITMENT_BYTES, SUITE_AES256_GCM_HKDF_SHA256_COMMIT, SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384 } from "./header.js";

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

// The suite is part of every label, so one data key gives a signed and an unsigned message
// unrelated keys.
const label = (purpose: string, suiteId: number): Buffer => {
  const suite = Buffer.alloc(2);
  suite.writeUInt16BE(suiteId);
  return Buffer.concat([Buffer.from(`kms-envelope v1 ${purpose}`, "ascii"), suite]);
};
const labels = (suiteId: number) => ({ chunkKey: label("chunk key", suiteId), headerKey: label("header key", suiteId), commitment: label("commitment", suiteId) });
const LABELS = new Map([SUITE_AES256_GCM_HKDF_SHA256_COMMIT, SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384].map((suite) => [suite, labels(suite)]));

/** Derives a message's keys for its suite. The caller zeroes them (and the data key) when done. */
export function deriveMessageKeys(dataKey: Uint8Array, messageId: Uint8Array, suiteId: number): MessageKeys {
  if (dataKey.length !== DATA_KEY_BYTES) throw new RangeError(`a data key is ${DATA_KEY_BYTES} bytes, not ${dataKey.length}`);
  const info = LABELS.get(suiteId);
  if (!info) throw new RangeError(`unknown suite ${suiteId}`);
  const derive = (label: Buffer, length: number) => Buffer.from(hkdfSync("sha256", dataKey, messageId, label, length));
  return { chunkKey: derive(info.chunkKey, 32), headerKey: derive(info.headerKey, 32), commitment: derive(info.commitment, COMMITMENT_BYTES) };
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
  zeroAll(buffers);
}

/** Zeroes every buffer of a list, however long (spreading a long list into zero() overflows the stack). */
export function zeroAll(buffers: Iterable<Uint8Array | undefined>): void {
  for (const b of buffers) b?.fill(0);
}
