import type { CompiledPolicy } from "./compiled-policy.js";
import { parsePolicy } from "./parse-policy.js";
import type { PolicyKind } from "./policy-types.js";

/**
 * Compiles each distinct (kind, text) policy once: keys are read on every request, and parsing
 * and compiling their policies each time would dominate authorization. Least-recently-used
 * entries are dropped beyond `maxEntries`, so memory stays bounded (at most maxEntries times the
 * 32 KB document limit). Bad documents are never cached: get() throws their
 * MalformedPolicyDocumentException every time.
 */
export class PolicyCache {
  /** By document text (the same stored string on every request, so its hash is computed once), then kind. */
  readonly #entries = new Map<string, Map<PolicyKind, CompiledPolicy>>();
  #size = 0;

  constructor(readonly maxEntries = 1000) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
  }

  /** The compiled policy for this text, compiling it on first use. */
  get(json: string, kind: PolicyKind): CompiledPolicy {
    const kinds = this.#entries.get(json);
    const cached = kinds?.get(kind);
    if (kinds && cached) {
      this.#entries.delete(json);
      this.#entries.set(json, kinds);
      return cached;
    }
    const compiled = parsePolicy(json, kind);
    this.#entries.delete(json);
    this.#entries.set(json, new Map(kinds).set(kind, compiled));
    this.#size++;
    while (this.#size > this.maxEntries) {
      const [oldest, dropped] = this.#entries.entries().next().value as [string, Map<PolicyKind, CompiledPolicy>];
      this.#entries.delete(oldest);
      this.#size -= dropped.size;
    }
    return compiled;
  }

  /** How many compiled policies are held. */
  get size(): number {
    return this.#size;
  }
}
