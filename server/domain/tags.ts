import { KmsError } from "../errors/kms-error.js";
import type { TagRecord } from "./key-record.js";
import { limits } from "./limits.js";

/** Checks tags as AWS does: at most 50, keys 1-128 characters without "aws:", values 0-256, keys unique. */
export function checkTags(tags: readonly TagRecord[]): void {
  if (tags.length > limits.tagsPerKey) throw new KmsError("TagException", `a key has at most ${limits.tagsPerKey} tags`);
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length < limits.tagKeyChars.min || key.length > limits.tagKeyChars.max) {
      throw new KmsError("TagException", `tag keys must be ${limits.tagKeyChars.min}-${limits.tagKeyChars.max} characters`);
    }
    if (key.toLowerCase().startsWith("aws:")) throw new KmsError("TagException", `tag keys must not begin with "aws:"`);
    if (value.length > limits.tagValueChars.max) throw new KmsError("TagException", `tag values must be at most ${limits.tagValueChars.max} characters`);
    if (seen.has(key)) throw new KmsError("TagException", `duplicate tag key ${JSON.stringify(key)}`);
    seen.add(key);
  }
}
