/** How many entries, for how long. */
export interface AgeBounds {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
}

/** Every map made here, swept together once a minute. */
const maps = new Set<WeakRef<AgeBoundedMap<unknown>>>();

/**
 * A map for secrets kept in memory for reuse (unwrapped key material, parsed private keys):
 * bounded by entries (oldest out first) and by age, and swept once a minute, so an entry leaves
 * memory within its age bound plus a minute even when nothing asks for it again.
 */
export class AgeBoundedMap<V> {
  readonly #entries = new Map<string, { value: V; at: number }>();

  constructor(
    private readonly bounds: AgeBounds,
    private readonly now: () => number = Date.now,
  ) {
    maps.add(new WeakRef(this as AgeBoundedMap<unknown>));
  }

  /** The entry, unless it is past its age. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    return entry && this.now() - entry.at <= this.bounds.maxAgeMs ? entry.value : undefined;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, at: this.now() });
    if (this.#entries.size > this.bounds.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Drops the entries whose key matches. */
  deleteWhere(matches: (key: string) => boolean): void {
    for (const key of this.#entries.keys()) if (matches(key)) this.#entries.delete(key);
  }

  /** Drops entries past their age. Entries are in insertion order, which is age order. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) {
      if (now - entry.at <= this.bounds.maxAgeMs) break;
      this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

setInterval(() => {
  for (const ref of maps) {
    const map = ref.deref();
    if (map) map.sweep();
    else maps.delete(ref);
  }
}, 60_000).unref();
