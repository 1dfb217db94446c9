import { randomFillSync } from "node:crypto";

/** How many random bytes one refill draws (341 GCM nonces). */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * Fresh random bytes for a public value (a nonce), drawn from a pool refilled from the CSPRNG:
 * one call into OpenSSL per few hundred nonces instead of one each, which was 2% of an Encrypt's
 * CPU. The bytes are as random as randomBytes' and each is handed out once; never use this for
 * secrets, whose bytes should not linger in a shared buffer.
 */
export function randomNonce(size: number): Buffer {
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(Math.max(POOL_BYTES, size)));
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return out;
}
