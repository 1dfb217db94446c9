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
  readonly #entries = new Map<string, CompiledPolicy>();

  constructor(readonly maxEntries = 1000) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
  }

  /** The compiled policy for this text, compiling it on first use. */
  get(json: string, kind: PolicyKind): CompiledPolicy {
    const cacheKey = `${kind}\u0000${json}`;
    const cached = this.#entries.get(cacheKey);
    if (cached) {
      this.#entries.delete(cacheKey);
      this.#entries.set(cacheKey, cached);
      return cached;
    }
    const compiled = parsePolicy(json, kind);
    this.#entries.set(cacheKey, compiled);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return compiled;
  }

  /** How many compiled policies are held. */
  get size(): number {
    return this.#entries.size;
  }
}
