import { excerpt, malformed } from "./malformed.js";

/** A JSON object (not null, not an array), as policy elements must be. */
export type JsonObject = { readonly [member: string]: unknown };

/** Whether a parsed JSON value is an object with members. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rejects members outside the grammar, so a typo ("Condtion") is an error rather than a silently broader statement. */
export function checkMembers(object: JsonObject, allowed: ReadonlySet<string>, where: string): void {
  for (const member of Object.keys(object)) {
    if (!allowed.has(member)) throw malformed(`${where} has an unknown member ${excerpt(member)}`);
  }
}

/** A member's value, read as an own property only (JSON can hold "__proto__" or "constructor"). */
export function member(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** A string, or a non-empty array of strings: the shape of Action, Resource and principal lists. */
export function stringList(value: unknown, where: string): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    if (value.length === 0) throw malformed(`${where} must not be an empty array`);
    return value.map((item) => {
      if (typeof item !== "string") throw malformed(`${where} must hold only strings, not ${excerpt(item)}`);
      return item;
    });
  }
  throw malformed(`${where} must be a string or an array of strings, not ${excerpt(value)}`);
}
