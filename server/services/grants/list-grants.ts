import { keyScope, requireCaller } from "../../context.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { limits } from "../../domain/limits.js";
import { listLimit } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { accountOfPrincipal } from "../../identity/principal-arn.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";
import { toGrantListEntry } from "./grant-entry.js";

/** ListGrants: a key's grants, optionally only one grant id or one grantee, a page at a time. */
export const listGrants: KmsHandlers["listGrants"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const limit = listLimit(req.limit, limits.shortListLimit);
  const { key } = await resolveKeyByIdOrArn(scope, req.keyId);
  const listing = `grants:${key.keyId}`;
  const after = decodeMarker(listing, req.marker);
  const grants = (await scope.region.keyring.listGrants(key.keyId, after)).filter(
    (g) => (req.grantId === "" || g.grantId === req.grantId) && (req.granteePrincipal === "" || g.granteePrincipal === req.granteePrincipal),
  );
  const page = toPage(listing, grants.slice(0, limit + 1), limit, (g) => g.grantId);
  return { grants: page.items.map((g) => toGrantListEntry(scope.region, g, key.accountId)), nextMarker: page.nextMarker, truncated: page.truncated };
};

/** ListRetirableGrants: the grants of this region that a principal may retire. */
export const listRetirableGrants: KmsHandlers["listRetirableGrants"] = async (req, ctx) => {
  const { region } = keyScope(ctx);
  if (req.retiringPrincipal === "") throw validationError("retiring_principal is required");
  // As in AWS, only a principal of the caller's own account: another account's grants are not the caller's to see.
  const caller = requireCaller(ctx);
  if (accountOfPrincipal(req.retiringPrincipal) !== caller.accountId) {
    throw new KmsError("AccessDeniedException", `${caller.arn} may list the retirable grants only of principals of account ${caller.accountId}`);
  }
  const limit = listLimit(req.limit, limits.shortListLimit);
  const listing = `retirable:${req.retiringPrincipal}`;
  const grants = await region.keyring.listRetirableGrants(req.retiringPrincipal, decodeMarker(listing, req.marker), limit + 1);
  const page = toPage(listing, grants, limit, (g) => `${g.keyId}/${g.grantId}`);
  const accounts = new Map(await Promise.all(page.items.map(async (g) => [g.keyId, (await region.keyring.getKey(g.keyId))?.accountId ?? g.issuingAccount] as const)));
  return { grants: page.items.map((g) => toGrantListEntry(region, g, accounts.get(g.keyId)!)), nextMarker: page.nextMarker, truncated: page.truncated };
};
