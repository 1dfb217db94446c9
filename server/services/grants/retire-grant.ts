import { auditCommit } from "../../audit/pending-audit.js";
import type { HandlerContext } from "@connectrpc/connect";
import { loadCallerPolicies } from "../../authorization/caller-policies.js";
import { buildConditionContext } from "../../authorization/condition-context.js";
import { connectionKey, keyScope, now, requireCaller, requireServices, type KeyScope } from "../../context.js";
import { parseKeyIdOrArn } from "../../domain/key-identifier.js";
import type { GrantRecord } from "../../domain/key-record.js";
import { stopIfDryRun } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { accountOfRoot } from "../../identity/principal-arn.js";
import { authorize, describeDenial } from "../../policy/index.js";
import type { KmsHandlers } from "../handler-types.js";
import { loadKey } from "../resolve-key.js";
import { loadBlobKey } from "../symmetric-keys.js";
import { parseGrantToken } from "./grant-token.js";

const GRANT_ID = /^[0-9a-f]{64}$/;

/**
 * RetireGrant: the grant says who may retire it: its retiring principal, its grantee when it
 * allows RetireGrant, or, by IAM, a principal of the accounts that AWS lets delegate it.
 */
export const retireGrant: KmsHandlers["retireGrant"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { keyId, grantId, accountId } = grantReference(req, scope);
  // A token names the key by id alone, in whichever account owns it.
  const { key, arn } = accountId === undefined ? await loadBlobKey(scope, keyId).catch(() => notFound(keyId)) : await loadKey(scope, { accountId, keyId });
  const grant = await scope.region.keyring.getGrant(key.keyId, grantId);
  if (!grant) throw new KmsError("NotFoundException", `grant ${grantId} of ${arn} does not exist`);
  await checkMayRetire(ctx, scope, grant, arn, key.accountId);
  stopIfDryRun(req.dryRun);
  await scope.region.keyring.transaction([`key:${key.keyId}`], auditCommit(ctx), async (tx) => {
    const current = await scope.region.keyring.getGrant(key.keyId, grantId);
    if (!current) throw new KmsError("NotFoundException", `grant ${grantId} of ${arn} does not exist`);
    tx.deleteGrant(current);
  });
  return {};
};

function notFound(keyId: string): never {
  throw new KmsError("NotFoundException", `the grant token names key ${keyId}, which does not exist`);
}

function grantReference(req: { grantToken: string; keyId: string; grantId: string }, scope: KeyScope): { keyId: string; grantId: string; accountId: string | undefined } {
  if (req.grantToken !== "") {
    const token = parseGrantToken(req.grantToken);
    if (token.region !== scope.region.name) throw new KmsError("NotFoundException", "the grant token names a grant of another region");
    return { keyId: token.keyId, grantId: token.grantId, accountId: undefined };
  }
  if (req.keyId === "" || req.grantId === "") throw validationError("give grant_token, or key_id and grant_id");
  if (!GRANT_ID.test(req.grantId)) throw new KmsError("InvalidGrantIdException", "grant_id is not a grant id");
  const id = parseKeyIdOrArn(req.keyId, scope.region, scope.accountId);
  return { keyId: id.keyId, grantId: req.grantId, accountId: id.accountId };
}

/**
 * Who may retire a grant, as AWS says: the grant decides, and kms:RetireGrant is not effective in
 * a key policy. Its retiring principal, and its grantee when it allows RetireGrant, may; so may a
 * principal whose identity policies allow kms:RetireGrant, in the account that created the grant,
 * the account that owns the key, or an account named as the retiring principal. An explicit Deny of
 * kms:RetireGrant in the caller's policies refuses anyone.
 */
async function checkMayRetire(ctx: HandlerContext, scope: KeyScope, grant: GrantRecord, keyArn: string, keyAccountId: string): Promise<void> {
  const caller = requireCaller(ctx);
  const services = requireServices(ctx);
  const request = {
    principal: caller,
    action: "kms:RetireGrant",
    resource: keyArn,
    context: buildConditionContext({ caller, connection: ctx.values.get(connectionKey), now: now(ctx), region: scope.region.name, requestDesc: ctx.method.input, request: {} }),
  };
  const iam = authorize({ request, ...(await loadCallerPolicies(services.identities, services.policies, caller)) });
  if (!iam.allowed && iam.reason === "explicit-deny") throw new KmsError("AccessDeniedException", describeDenial(iam, request));
  const names = [caller.arn, caller.roleArn].filter((n): n is string => n !== undefined);
  if (grant.retiringPrincipal !== "" && names.includes(grant.retiringPrincipal)) return;
  if (names.includes(grant.granteePrincipal) && grant.operations.includes("RetireGrant")) return;
  const delegating = [grant.issuingAccount, keyAccountId, accountOfRoot(grant.retiringPrincipal)];
  if (!iam.allowed) throw new KmsError("AccessDeniedException", describeDenial(iam, request));
  if (!delegating.includes(caller.accountId)) {
    throw new KmsError("AccessDeniedException", `${caller.arn} is not authorized to perform: kms:RetireGrant on resource: ${keyArn}: the grant does not name it, and its account neither created the grant, owns the key nor is the retiring principal`);
  }
}
