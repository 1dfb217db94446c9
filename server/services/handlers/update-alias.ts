import { auditCommit } from "../../audit/pending-audit.js";
import { keyScope, now } from "../../context.js";
import { checkAliasName, checkAliasNameNotReserved } from "../../domain/alias-name.js";
import { parseKeyIdOrArn } from "../../domain/key-identifier.js";
import { requireState } from "../../domain/key-state-rules.js";
import { aliasArn } from "../../domain/region.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { checkAliasRoom, keyType, requireAuthorizedTarget } from "../alias-rules.js";
import { loadKey } from "../resolve-key.js";

/**
 * UpdateAlias: points an existing alias at another key of the same type (symmetric, asymmetric or
 * HMAC) and usage, as AWS requires, so code that uses the alias keeps working with the new key.
 * Authorization allowed it on the alias, the key it points at and the new key; an alias moved by
 * another request since is ConflictException, so it never leaves a key the caller was not allowed on.
 */
export const updateAlias: KmsHandlers["updateAlias"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { region, accountId } = scope;
  checkAliasName(req.aliasName);
  checkAliasNameNotReserved(req.aliasName);
  const { keyId } = parseKeyIdOrArn(req.targetKeyId, region, accountId, "target_key_id");
  const updated = now(ctx);
  await region.keyring.transaction([`alias:${accountId}/${req.aliasName}`, `key:${keyId}`], auditCommit(ctx), async (tx) => {
    const alias = await region.keyring.getAlias(accountId, req.aliasName);
    if (!alias) throw new KmsError("NotFoundException", `Alias ${aliasArn(region, accountId, req.aliasName)} is not found.`);
    const { key, arn } = await loadKey(scope, { accountId, keyId });
    requireState(key, arn, ["Enabled", "Disabled", "PendingImport"]);
    requireAuthorizedTarget(scope, alias);
    // The key authorization read for the alias's target, which it still is; its type and usage never change.
    const current = scope.resolved?.get("alias_name")?.key ?? (await region.keyring.getKey(alias.targetKeyId));
    if (current && (keyType(current.keySpec) !== keyType(key.keySpec) || current.keyUsage !== key.keyUsage)) {
      throw validationError(`the alias points at a ${keyType(current.keySpec)} ${current.keyUsage} key; the new target must be of the same type and usage`);
    }
    if (alias.targetKeyId === keyId) return;
    await checkAliasRoom(scope, keyId);
    tx.putAlias({ ...alias, targetKeyId: keyId, lastUpdatedDate: updated }, alias.targetKeyId);
  });
  return {};
};
