import { createHash } from "node:crypto";
import { AgeBoundedMap } from "../../store/age-bounded-map.js";

/** Bounds: like the key material cache it sits beside (entries, age); swept once a minute. */
const derived = new AgeBoundedMap<unknown>({ maxEntries: 1000, maxAgeMs: 5 * 60_000 });

/**
 * What is derived from stored key bytes (an OpenSSL key parsed from DER: 0.3 to 0.9 ms with
 * OpenSSL 3's decoders, more than an ECDSA signature; an ML-DSA secret key expanded from its
 * seed: about 5 ms), derived once. Keyed by kind and the SHA-256 of the bytes, so changed bytes
 * are a different entry and no copy of a private key becomes a map key; bounded by entries and
 * age. Each thread (the event loop, each crypto worker) has its own.
 */
export function deriveOnce<T>(kind: string, bytes: Uint8Array, derive: () => T): T {
  const id = `${kind}/${createHash("sha256").update(bytes).digest("base64")}`;
  const hit = derived.get(id);
  if (hit !== undefined) return hit as T;
  const value = derive();
  derived.set(id, value);
  return value;
}
