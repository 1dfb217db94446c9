/** How many distinct stored records keep their parsed form. */
const MAX_ENTRIES = 10_000;

const parsed = new Map<string, unknown>();

/**
 * Parses a stored JSON record once per distinct content: the read cache hands back the same
 * string for the same record, and re-parsing it on every request was 4% of an Encrypt. Keyed by
 * the content itself, so a changed record is a different key and never meets a stale entry. The
 * result is deeply frozen, because every reader shares it: a change is made on a copy.
 */
export function parseRecord<T>(json: string): T {
  const hit = parsed.get(json);
  if (hit !== undefined) return hit as T;
  const value = deepFreeze(JSON.parse(json) as unknown);
  parsed.set(json, value);
  if (parsed.size > MAX_ENTRIES) parsed.delete(parsed.keys().next().value!);
  return value as T;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
