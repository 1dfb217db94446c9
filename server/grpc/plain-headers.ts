import type { IncomingHttpHeaders } from "node:http2";

/**
 * The Headers of a call on the fast path: a plain map of lower-case names, with the methods of
 * the fetch API's Headers that interceptors and handlers use. The fetch Headers validates and
 * normalizes every name and value it is given (WebIDL conversions), which for a small call cost
 * more than reading the request; here the names come from Node's HTTP/2 parser, already lower
 * case and checked, or from our own code.
 */
export class PlainHeaders implements Headers {
  readonly #map = new Map<string, string>();

  /** The request headers of an HTTP/2 stream, pseudo-headers left out, repeated values joined. */
  static fromIncoming(incoming: IncomingHttpHeaders): PlainHeaders {
    const headers = new PlainHeaders();
    for (const name in incoming) {
      const value = incoming[name];
      if (value === undefined || name.charCodeAt(0) === 58 /* ":" */) continue;
      headers.#map.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    return headers;
  }

  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.#map.set(name.toLowerCase(), String(value));
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const existing = this.#map.get(key);
    this.#map.set(key, existing === undefined ? String(value) : `${existing}, ${value}`);
  }
  delete(name: string): void {
    this.#map.delete(name.toLowerCase());
  }
  getSetCookie(): string[] {
    return [];
  }
  forEach(callback: (value: string, name: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.#map) callback.call(thisArg, value, name, this);
  }
  entries(): MapIterator<[string, string]> {
    return this.#map.entries();
  }
  keys(): MapIterator<string> {
    return this.#map.keys();
  }
  values(): MapIterator<string> {
    return this.#map.values();
  }
  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  /** The headers as Node's HTTP/2 API takes them. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.#map);
  }
}
