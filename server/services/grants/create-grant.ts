import { auditCommit } from "../../audit/pending-audit.js";
import { randomBytes } from "node:crypto";
import type { HandlerContext } from "@connectrpc/connect";
import { accessDecisionsKey, keyScope, now, requireCaller } from "../../context.js";
import type { GrantRecord } from "../../domain/key-record.js";
import { requireEnabled } from "../../domain/key-state-rules.js";
import { checkNewEncryptionContext, stopIfDryRun } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { atLeastAsStrict } from "../../policy/index.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";
import { grantOperationNames } from "./grant-operations.js";
import { encodeGrantToken } from "./grant-token.js";

const PRINCIPAL_ARN = /^arn:[^:]+:(?:iam::\d{12}:(?:root|user\/.+|role\/.+)|sts::\d{12}:assumed-role\/.+\/.+)$/;
const MAX_GRANTS_PER_KEY = 50_000;

/**
 * CreateGrant: lets grantee_principal use the key for the listed operations, optionally only
 * with a matching encryption context. A grant created by a grantee (through a grant allowing
 * CreateGrant) can never allow more than the grant it came from. The same name with the same
 * parameters returns the existing grant (idempotent retries).
 */
export const createGrant: KmsHandlers["createGrant"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (!PRINCIPAL_ARN.test(req.granteePrincipal)) throw validationError("grantee_principal must be an IAM user, role, session or account root ARN");
  if (req.retiringPrincipal !== "" && !PRINCIPAL_ARN.test(req.retiringPrincipal)) throw validationError("retiring_principal must be a principal ARN");
  const equals = req.constraints?.encryptionContextEquals ?? {};
  const subset = req.constraints?.encryptionContextSubset ?? {};
  if (Object.keys(equals).length > 0 && Object.keys(subset).length > 0) throw validationError("give at most one of encryption_context_equals and encryption_context_subset");
  checkNewEncryptionContext("constraints.encryption_context_equals", equals);
  checkNewEncryptionContext("constraints.encryption_context_subset", subset);
  if (req.name.length > 256 || !/^[A-Za-z0-9:/_-]*$/.test(req.name)) throw validationError("name must be at most 256 characters of [A-Za-z0-9:/_-]");
  const { key, arn } = await resolveKeyByIdOrArn(scope, req.keyId);
  requireEnabled(key, arn);
  const operations = grantOperationNames(req.operations, key);
  // Asymmetric and HMAC operations take no encryption context, so a constraint on one could never hold.
  if (key.keySpec !== "SYMMETRIC_DEFAULT" && (Object.keys(equals).length > 0 || Object.keys(subset).length > 0)) {
    throw validationError(`encryption context constraints apply only to symmetric encryption keys, not to ${key.keySpec}`);
  }
  const constraints = Object.keys(equals).length > 0 ? { encryptionContextEquals: equals } : Object.keys(subset).length > 0 ? { encryptionContextSubset: subset } : undefined;
  await checkWithinParentGrant(ctx, scope.region.keyring, key.keyId, operations, constraints);
  stopIfDryRun(req.dryRun);

  const grant = await scope.region.keyring.transaction([`key:${key.keyId}`], auditCommit(ctx), async (tx) => {
    const existing = await scope.region.keyring.listGrants(key.keyId, undefined, MAX_GRANTS_PER_KEY + 1);
    const same = req.name === "" ? undefined : existing.find((g) => g.name === req.name && sameGrant(g, req.granteePrincipal, req.retiringPrincipal, operations, constraints));
    if (same) return same;
    if (existing.length >= MAX_GRANTS_PER_KEY) throw new KmsError("LimitExceededException", `a key has at most ${MAX_GRANTS_PER_KEY} grants`);
    const grant: GrantRecord = {
      grantId: randomBytes(32).toString("hex"),
      keyId: key.keyId,
      issuingAccount: requireCaller(ctx).accountId,
      name: req.name,
      granteePrincipal: req.granteePrincipal,
      retiringPrincipal: req.retiringPrincipal,
      operations,
      ...(constraints ? { constraints } : {}),
      creationDate: now(ctx),
    };
    tx.putGrant(grant);
    return grant;
  });
  return { grantId: grant.grantId, grantToken: encodeGrantToken(scope.region.name, key.keyId, grant.grantId) };
};

/** When only a grant allowed this CreateGrant, the new grant must stay within that grant. */
async function checkWithinParentGrant(ctx: HandlerContext, keyring: ReturnType<typeof keyScope>["region"]["keyring"], keyId: string, operations: readonly string[], constraints: GrantRecord["constraints"]): Promise<void> {
  const decision = ctx.values.get(accessDecisionsKey).find((d) => d.action === "kms:CreateGrant");
  const viaGrant = decision?.decidedBy.find((d) => d.source === "grant");
  if (!viaGrant || decision!.decidedBy.some((d) => d.source === "key-policy" || d.source === "identity-policy")) return;
  const parent = await keyring.getGrant(keyId, viaGrant.grantId!);
  if (!parent) throw new KmsError("AccessDeniedException", "the grant that allowed this call no longer exists");
  const widened = operations.some((op) => !parent.operations.includes(op));
  if (widened || !atLeastAsStrict(parent.constraints, constraints)) throw new KmsError("AccessDeniedException", "a grant created through a grant cannot allow more operations or looser constraints than that grant");
}

function sameGrant(g: GrantRecord, grantee: string, retiring: string, operations: readonly string[], constraints: GrantRecord["constraints"]): boolean {
  return (
    g.granteePrincipal === grantee &&
    g.retiringPrincipal === retiring &&
    [...g.operations].sort().join() === [...operations].sort().join() &&
    JSON.stringify(g.constraints ?? {}) === JSON.stringify(constraints ?? {})
  );
}
