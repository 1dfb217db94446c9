/**
 * Serializes read-modify-write sequences on named resources within this process, so two
 * concurrent changes to one key or alias cannot interleave. Names are taken in sorted order,
 * so two callers locking the same set cannot deadlock.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
    const releases: Array<() => void> = [];
    try {
      for (const name of [...new Set(names)].sort()) releases.push(await this.#acquire(name));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  async #acquire(name: string): Promise<() => void> {
    const previous = this.#tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    this.#tails.set(name, tail);
    await previous;
    return () => {
      release();
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    };
  }
}
