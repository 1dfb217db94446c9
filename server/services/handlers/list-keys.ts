import { requireRegion } from "../../context.js";
import { isKeyId } from "../../domain/key-identifier.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { keyArn } from "../../domain/region.js";
import { listLimit } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";

/** ListKeys: the region's keys in id order, a page at a time. */
export const listKeys: KmsHandlers["listKeys"] = async (req, ctx) => {
  const region = requireRegion(ctx);
  const limit = listLimit(req.limit);
  const after = decodeMarker("keys", req.marker);
  if (after !== undefined && !isKeyId(after)) throw new KmsError("InvalidMarkerException", "marker was not returned by this listing");
  const keys = await region.keyring.listKeys(after, limit + 1);
  const page = toPage("keys", keys, limit, (k) => k.keyId);
  return {
    keys: page.items.map((k) => ({ keyId: k.keyId, keyArn: keyArn(region, k.keyId) })),
    nextMarker: page.nextMarker,
    truncated: page.truncated,
  };
};
