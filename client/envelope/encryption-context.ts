import { ByteReader } from "./byte-reader.js";
import { EnvelopeError } from "./errors.js";

/** Non-secret key-value pairs bound to a message: authenticated, stored in clear in the header. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** The largest canonical encoding accepted, the limit KMS itself puts on a context. */
export const MAX_CONTEXT_BYTES = 8192;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The canonical bytes of a context: u16 count, then per pair, sorted by the key's UTF-8 bytes, a
 * u16-length-prefixed key and value. The same encoding KMS uses for its own associated data.
 * Strings with lone surrogates are refused: UTF-8 cannot carry them, so two different strings
 * would encode the same.
 */
export function encodeEncryptionContext(context: EncryptionContext): Buffer {
  if (typeof context !== "object" || context === null) throw new EnvelopeError("InvalidArgument", "the encryption context must be an object of strings");
  const pairs: Array<[Buffer, Buffer]> = [];
  let size = 2;
  for (const [key, value] of Object.entries(context)) {
    if (typeof value !== "string") throw new EnvelopeError("InvalidArgument", "encryption context values must be strings");
    if (key === "") throw new EnvelopeError("InvalidArgument", "encryption context keys must not be empty");
    if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) throw new EnvelopeError("InvalidArgument", "encryption context strings must be well-formed Unicode");
    const pair: [Buffer, Buffer] = [Buffer.from(key, "utf8"), Buffer.from(value, "utf8")];
    size += 4 + pair[0].length + pair[1].length;
    pairs.push(pair);
  }
  if (size > MAX_CONTEXT_BYTES) throw new EnvelopeError("InvalidArgument", `the encryption context encodes to ${size} bytes, more than ${MAX_CONTEXT_BYTES}`);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const out = Buffer.alloc(size);
  let at = out.writeUInt16BE(pairs.length, 0);
  for (const [k, v] of pairs) {
    at = out.writeUInt16BE(k.length, at);
    at += k.copy(out, at);
    at = out.writeUInt16BE(v.length, at);
    at += v.copy(out, at);
  }
  return out;
}

/**
 * Reads a canonical context from untrusted bytes: the size bound is checked before each field is
 * awaited, keys must be non-empty, strictly ascending (so no duplicates and one encoding per
 * context) and valid UTF-8.
 */
export function readEncryptionContext(reader: ByteReader): Record<string, string> {
  const start = reader.offset;
  const count = reader.u16();
  const entries: Array<[string, string]> = [];
  let previous: Uint8Array | undefined;
  const within = (n: number, field: string): number => {
    if (reader.offset - start + n > MAX_CONTEXT_BYTES) throw new EnvelopeError("MalformedHeader", `the encryption context exceeds ${MAX_CONTEXT_BYTES} bytes at ${field}`);
    return n;
  };
  for (let i = 0; i < count; i++) {
    within(2, "a key length");
    const key = reader.take(within(reader.length16("encryption context key", 1, 0xffff), "a key"));
    if (previous && Buffer.compare(previous, key) >= 0) throw new EnvelopeError("MalformedHeader", "encryption context keys are not in canonical order");
    previous = key;
    within(2, "a value length");
    const value = reader.take(within(reader.u16(), "a value"));
    entries.push([decodeUtf8(key), decodeUtf8(value)]);
  }
  // Object.fromEntries defines own properties, so a key such as "__proto__" stays a plain pair.
  return Object.fromEntries(entries);
}

/** Whether every pair of `required` is in `context`, with the same value (exact, case-sensitive). */
export function containsContext(context: EncryptionContext, required: EncryptionContext): boolean {
  return Object.entries(required).every(([k, v]) => Object.hasOwn(context, k) && context[k] === v);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new EnvelopeError("MalformedHeader", "an encryption context string is not valid UTF-8");
  }
}
