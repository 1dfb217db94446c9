import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { keyScope } from "../../context.js";
import type { AliasRecord } from "../../domain/key-record.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { aliasArn } from "../../domain/region.js";
import { limits } from "../../domain/limits.js";
import { listLimit } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { loadKey } from "../resolve-key.js";
import { ownKeyId } from "../update-key.js";

/** ListAliases: the region's aliases, or one key's, in name order, a page at a time. */
export const listAliases: KmsHandlers["listAliases"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { region, accountId } = scope;
  const limit = listLimit(req.limit, limits.shortListLimit);
  // As in AWS, only a key of the caller's account: another account's key is not found, and its aliases are never listed.
  const keyId = req.keyId === "" ? undefined : (await loadKey(scope, ownKeyId(scope, req.keyId))).key.keyId;
  const listing = keyId === undefined ? "aliases" : `aliases:${keyId}`;
  const after = decodeMarker(listing, req.marker);
  let aliases: AliasRecord[];
  if (keyId === undefined) {
    aliases = await region.keyring.listAliases(accountId, after, limit + 1);
  } else {
    const names = await region.keyring.listAliasNamesOfKey(keyId, after, limit + 1);
    aliases = (await Promise.all(names.map((name) => region.keyring.getAlias(accountId, name)))).filter((a): a is AliasRecord => a !== undefined);
  }
  const page = toPage(listing, aliases, limit, (a) => a.aliasName);
  return {
    aliases: page.items.map((a) => ({
      aliasName: a.aliasName,
      aliasArn: aliasArn(region, accountId, a.aliasName),
      targetKeyId: a.targetKeyId,
      creationDate: timestampFromMs(a.creationDate),
      lastUpdatedDate: timestampFromMs(a.lastUpdatedDate),
    })),
    nextMarker: page.nextMarker,
    truncated: page.truncated,
  };
};
