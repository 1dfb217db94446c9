import { KmsError } from "../errors/kms-error.js";
import { limits } from "./limits.js";

/**
 * Markers are opaque to clients: base64url of the listing's name and the last item returned.
 * A marker from another listing, or altered, is InvalidMarkerException.
 */
export function encodeMarker(listing: string, lastItem: string): string {
  return Buffer.from(`${listing}\0${lastItem}`, "utf8").toString("base64url");
}

/** The last item of the previous page, or undefined for the first page. */
export function decodeMarker(listing: string, marker: string): string | undefined {
  if (marker === "") return undefined;
  const decoded = marker.length <= limits.markerChars && /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, "base64url").toString("utf8") : "";
  const prefix = `${listing}\0`;
  if (!decoded.startsWith(prefix) || decoded.length === prefix.length) {
    throw new KmsError("InvalidMarkerException", "marker was not returned by this listing");
  }
  return decoded.slice(prefix.length);
}

/** One page of a listing: items plus the marker of the next page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextMarker: string;
  readonly truncated: boolean;
}

/** Cuts a listing fetched with one extra item into a page. */
export function toPage<T>(listing: string, fetched: readonly T[], limit: number, itemKey: (item: T) => string): Page<T> {
  const truncated = fetched.length > limit;
  const items = truncated ? fetched.slice(0, limit) : fetched;
  return { items, truncated, nextMarker: truncated ? encodeMarker(listing, itemKey(items[items.length - 1]!)) : "" };
}
