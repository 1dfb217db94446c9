import { KmsError } from "../errors/kms-error.js";

const EXCERPT_CHARS = 40;

/** The one error a bad policy document raises, so callers and clients can rely on its name. */
export function malformed(reason: string): KmsError {
  return new KmsError("MalformedPolicyDocumentException", reason);
}

/**
 * A short, safe rendering of an untrusted value for an error message: strings are cut to a few
 * characters and quoted, anything else is named by its type, so a message never echoes a policy.
 */
export function excerpt(value: unknown): string {
  if (typeof value === "string") {
    const cut = [...value.slice(0, EXCERPT_CHARS + 1)].slice(0, EXCERPT_CHARS).join("");
    return JSON.stringify(cut) + (cut.length < value.length ? "..." : "");
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
