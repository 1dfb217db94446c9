import { keyScope } from "../../context.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { limits } from "../../domain/limits.js";
import { listLimit } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";

/** ListResourceTags: a key's tags in tag-key order, a page at a time (the marker is the last key shown). */
export const listResourceTags: KmsHandlers["listResourceTags"] = async (req, ctx) => {
  const { key } = await resolveKeyByIdOrArn(keyScope(ctx), req.keyId);
  const limit = listLimit(req.limit, limits.tagListLimit);
  const after = decodeMarker("tags", req.marker);
  const sorted = [...key.tags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).filter((t) => after === undefined || t.key > after);
  const page = toPage("tags", sorted.slice(0, limit + 1), limit, (t) => t.key);
  return { tags: page.items.map((t) => ({ tagKey: t.key, tagValue: t.value })), nextMarker: page.nextMarker, truncated: page.truncated };
};
