/**
 * Remembers what was derived from a cached read, on the read's own identity. The read cache
 * hands back the very same array or object until a write drops it, so work done on it (keys
 * sliced, records parsed, policies compiled) is done once per change instead of once per
 * request, and a changed record is a new object that never meets a stale derivation. The
 * derived value is frozen, because every request shares it.
 */
export function derivedFrom<K extends object, V>(memo: WeakMap<K, V>, source: K, derive: (source: K) => V): V {
  let value = memo.get(source);
  if (value === undefined) {
    value = Object.freeze(derive(source));
    memo.set(source, value);
  }
  return value;
}
