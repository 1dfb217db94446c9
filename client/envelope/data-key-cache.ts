import { EnvelopeError } from "./errors.js";
import type { DataKeyMaterials, KmsDataKeyClient, WrappingKey } from "./kms.js";
import { zero } from "./key-schedule.js";

// Reusing a data key for several messages saves a KMS call per message; its cost is that one
// leaked data key exposes every message made with it. The limits bound that: an entry serves at
// most maxMessages messages and maxBytes plaintext bytes, for at most maxAgeMs. Each message
// still derives its own keys (its message id is the HKDF salt), so reuse never repeats a nonce.

/** When a cached data key stops being used; all are required, none is a default. */
export interface DataKeyCacheLimits {
  /** An entry is used for at most this long after KMS generated it (ms, > 0). */
  readonly maxAgeMs: number;
  /** An entry encrypts at most this many messages (1 to 2^32). */
  readonly maxMessages: number;
  /** An entry encrypts at most this many plaintext bytes, all its messages together (>= 0). */
  readonly maxBytes: number;
  /** At most this many entries are kept; the least recently used goes first (>= 1). */
  readonly maxEntries: number;
  /** The clock (tests move it); Date.now by default. */
  readonly now?: () => number;
}

/** A cache of data keys for encryption; give the same one to every encryptStream/encrypt that may share. */
export interface DataKeyCache {
  /**
   * Materials for one message of `plaintextLength` bytes: a cached data key whose limits allow one
   * more message of that size, or fresh ones from `generate` (cached if they may serve another).
   * The returned data key is the caller's own copy, to zero.
   */
  materialsFor(keys: readonly WrappingKey[], encodedContext: Uint8Array, plaintextLength: number, generate: () => Promise<DataKeyMaterials>): Promise<DataKeyMaterials>;
  /** Entries held now. */
  readonly size: number;
  /** Drops and zeroes every entry. */
  clear(): void;
}

interface Entry {
  readonly materials: DataKeyMaterials;
  readonly createdAt: number;
  messages: number;
  bytes: number;
}

/** Makes a data key cache with the given limits. */
export function createDataKeyCache(limits: DataKeyCacheLimits): DataKeyCache {
  const { maxAgeMs, maxMessages, maxBytes, maxEntries } = limits;
  const now = limits.now ?? Date.now;
  if (!(maxAgeMs > 0) || !Number.isFinite(maxAgeMs)) throw new EnvelopeError("InvalidArgument", "maxAgeMs must be a positive number");
  if (!Number.isSafeInteger(maxMessages) || maxMessages < 1 || maxMessages > 2 ** 32) throw new EnvelopeError("InvalidArgument", "maxMessages must be an integer from 1 to 2^32");
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new EnvelopeError("InvalidArgument", "maxBytes must be a non-negative integer");
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new EnvelopeError("InvalidArgument", "maxEntries must be a positive integer");

  // Map keeps insertion order: re-inserting on use makes the first entry the least recently used.
  const entries = new Map<string, Entry>();
  const drop = (id: string): void => {
    zero(entries.get(id)?.materials.dataKey);
    entries.delete(id);
  };
  const expired = (entry: Entry, at: number): boolean => at - entry.createdAt >= maxAgeMs;
  const copy = (m: DataKeyMaterials): DataKeyMaterials => ({ dataKey: Buffer.from(m.dataKey), encryptedDataKeys: m.encryptedDataKeys });

  return {
    async materialsFor(keys, encodedContext, plaintextLength, generate) {
      const at = now();
      for (const [id, entry] of entries) if (expired(entry, at)) drop(id);
      const id = cacheId(keys, encodedContext);
      const entry = entries.get(id);
      if (entry && entry.messages < maxMessages && entry.bytes + plaintextLength <= maxBytes) {
        entry.messages++;
        entry.bytes += plaintextLength;
        entries.delete(id);
        entries.set(id, entry);
        return copy(entry.materials);
      }
      // An entry that has served all its messages goes; one only too full for this message stays
      // for smaller ones unless the fresh data key replaces it.
      if (entry && entry.messages >= maxMessages) drop(id);
      const fresh = await generate();
      // Worth keeping only if it may serve another message.
      if (maxMessages > 1 && plaintextLength <= maxBytes) {
        if (entries.has(id)) drop(id); // a concurrent miss got there first
        entries.set(id, { materials: copy(fresh), createdAt: now(), messages: 1, bytes: plaintextLength });
        while (entries.size > maxEntries) drop(entries.keys().next().value!);
      }
      return fresh;
    },
    get size() {
      return entries.size;
    },
    clear() {
      for (const id of [...entries.keys()]) drop(id);
    },
  };
}

// A key id means different keys through different clients (regions, accounts), so the cache id
// names each client by identity, then the key ids in order, then the context's canonical bytes.
const clientIds = new WeakMap<KmsDataKeyClient, number>();
let nextClientId = 1;

function cacheId(keys: readonly WrappingKey[], encodedContext: Uint8Array): string {
  const parts = keys.map((k) => {
    let n = clientIds.get(k.client);
    if (n === undefined) clientIds.set(k.client, (n = nextClientId++));
    return `${n}:${JSON.stringify(k.keyId)}`;
  });
  return `${parts.join(",")}|${Buffer.from(encodedContext).toString("base64")}`;
}
