import { keyScope } from "../../context.js";
import { isKeyId } from "../../domain/key-identifier.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { keyArn } from "../../domain/region.js";
import { listLimit } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";

/** ListKeys: the region's keys in id order, a page at a time. */
export const listKeys: KmsHandlers["listKeys"] = async (req, ctx) => {
  const { region, accountId } = keyScope(ctx);
  const limit = listLimit(req.limit);
  const after = decodeMarker("keys", req.marker);
  if (after !== undefined && !isKeyId(after)) throw new KmsError("InvalidMarkerException", "marker was not returned by this listing");
  const keyIds = await region.keyring.listKeyIds(accountId, after, limit + 1);
  const page = toPage("keys", keyIds, limit, (id) => id);
  return {
    keys: page.items.map((keyId) => ({ keyId, keyArn: keyArn(region, accountId, keyId) })),
    nextMarker: page.nextMarker,
    truncated: page.truncated,
  };
};
