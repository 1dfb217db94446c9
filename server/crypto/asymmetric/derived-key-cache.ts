import { createHash } from "node:crypto";

/** Bounds: like the key material cache it sits beside (entries, age). */
const LIMITS = { maxEntries: 1000, maxAgeMs: 5 * 60_000 };
const derived = new Map<string, { value: unknown; at: number }>();

/**
 * What is derived from stored key bytes (an OpenSSL key parsed from DER: 0.3 to 0.9 ms with
 * OpenSSL 3's decoders, more than an ECDSA signature; an ML-DSA secret key expanded from its
 * seed: about 5 ms), derived once. Keyed by kind and the SHA-256 of the bytes, so changed bytes
 * are a different entry and no copy of a private key becomes a map key; bounded by entries and
 * age. Each thread (the event loop, each crypto worker) has its own.
 */
export function deriveOnce<T>(kind: string, bytes: Uint8Array, derive: () => T): T {
  const id = `${kind}/${createHash("sha256").update(bytes).digest("base64")}`;
  const now = Date.now();
  const hit = derived.get(id);
  if (hit && now - hit.at <= LIMITS.maxAgeMs) return hit.value as T;
  const value = derive();
  derived.delete(id);
  derived.set(id, { value, at: now });
  if (derived.size > LIMITS.maxEntries) derived.delete(derived.keys().next().value!);
  return value;
}

/**
 * Drops entries past their age even when nothing asks for them, so a parsed private key of a
 * destroyed or expired key does not stay in memory (in this thread) longer than the age bound
 * plus a minute. Entries are in insertion order, which is age order.
 */
function sweep(): void {
  const now = Date.now();
  for (const [id, entry] of derived) {
    if (now - entry.at <= LIMITS.maxAgeMs) break;
    derived.delete(id);
  }
}
setInterval(sweep, 60_000).unref();
