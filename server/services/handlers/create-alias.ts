import { auditCommit } from "../../audit/pending-audit.js";
import { keyScope, now } from "../../context.js";
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
  const scope = keyScope(ctx);
  const { region, accountId } = scope;
  checkAliasName(req.aliasName);
  checkAliasNameNotReserved(req.aliasName);
  const target = parseKeyIdOrArn(req.targetKeyId, region, accountId, "target_key_id");
  const created = now(ctx);
  await region.keyring.transaction([`alias:${accountId}/${req.aliasName}`, `key:${target.keyId}`], auditCommit(ctx), async (tx) => {
    if (await region.keyring.getAlias(accountId, req.aliasName)) {
      throw new KmsError("AlreadyExistsException", `An alias with the name ${aliasArn(region, accountId, req.aliasName)} already exists`);
    }
    // An alias names a key of its own account.
    const { key, arn } = await loadKey(scope, { accountId, keyId: target.keyId });
    requireState(key, arn, ["Enabled", "Disabled", "PendingImport"]);
    await checkAliasRoom(scope, target.keyId);
    tx.putAlias({ accountId, aliasName: req.aliasName, targetKeyId: target.keyId, creationDate: created, lastUpdatedDate: created });
  });
  return {};
};
