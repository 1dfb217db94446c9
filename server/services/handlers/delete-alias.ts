import { auditCommit } from "../../audit/pending-audit.js";
import { keyScope } from "../../context.js";
import { checkAliasName, checkAliasNameNotReserved } from "../../domain/alias-name.js";
import { aliasArn } from "../../domain/region.js";
import { KmsError } from "../../errors/kms-error.js";
import { requireAuthorizedTarget } from "../alias-rules.js";
import type { KmsHandlers } from "../handler-types.js";

/** DeleteAlias: removes the name; the key it pointed at, whose policy allowed it, is unaffected. */
export const deleteAlias: KmsHandlers["deleteAlias"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { region, accountId } = scope;
  checkAliasName(req.aliasName);
  checkAliasNameNotReserved(req.aliasName);
  await region.keyring.transaction([`alias:${accountId}/${req.aliasName}`], auditCommit(ctx), async (tx) => {
    const alias = await region.keyring.getAlias(accountId, req.aliasName);
    if (!alias) throw new KmsError("NotFoundException", `Alias ${aliasArn(region, accountId, req.aliasName)} is not found.`);
    requireAuthorizedTarget(scope, alias);
    tx.deleteAlias(alias);
  });
  return {};
};
