import { auditCommit } from "../../audit/pending-audit.js";
import { keyScope } from "../../context.js";
import { stopIfDryRun } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";

/** RevokeGrant: a key administrator removes a grant; it stops allowing anything at once. */
export const revokeGrant: KmsHandlers["revokeGrant"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (!/^[0-9a-f]{64}$/.test(req.grantId)) throw new KmsError("InvalidGrantIdException", "grant_id is not a grant id");
  const { key, arn } = await resolveKeyByIdOrArn(scope, req.keyId);
  await scope.region.keyring.transaction([`key:${key.keyId}`], auditCommit(ctx), async (tx) => {
    const grant = await scope.region.keyring.getGrant(key.keyId, req.grantId);
    if (!grant) throw new KmsError("NotFoundException", `grant ${req.grantId} of ${arn} does not exist`);
    stopIfDryRun(req.dryRun);
    tx.deleteGrant(grant);
  });
  return {};
};
