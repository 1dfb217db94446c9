import { now, requireRegion } from "../../context.js";
import { checkAliasName, checkAliasNameNotReserved } from "../../domain/alias-name.js";
import { parseKeyIdOrArn } from "../../domain/key-identifier.js";
import { requireState } from "../../domain/key-state-rules.js";
import { aliasArn } from "../../domain/region.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { checkAliasRoom } from "../alias-rules.js";
import { loadKey } from "../resolve-key.js";

/** CreateAlias: a new name, unique in the region, for a key that is not pending deletion. */
export const createAlias: KmsHandlers["createAlias"] = async (req, ctx) => {
  const region = requireRegion(ctx);
  checkAliasName(req.aliasName);
  checkAliasNameNotReserved(req.aliasName);
  const keyId = parseKeyIdOrArn(req.targetKeyId, region, "target_key_id");
  const created = now(ctx);
  await region.keyring.transaction([`alias:${req.aliasName}`, `key:${keyId}`], async (tx) => {
    if (await region.keyring.getAlias(req.aliasName)) {
      throw new KmsError("AlreadyExistsException", `An alias with the name ${aliasArn(region, req.aliasName)} already exists`);
    }
    const { key, arn } = await loadKey(region, keyId);
    requireState(key, arn, ["Enabled", "Disabled", "PendingImport"]);
    await checkAliasRoom(region, keyId);
    tx.putAlias({ aliasName: req.aliasName, targetKeyId: keyId, creationDate: created, lastUpdatedDate: created });
  });
  return {};
};
