import { auditCommit } from "../../audit/pending-audit.js";
import { authorizedRoleKey, now, requireCaller, requireServices } from "../../context.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { principalArn } from "../../identity/principal-arn.js";
import { describeRefusal } from "../../policy/index.js";
import { checkPolicyDocument } from "../policy-document.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { checkIamName } from "./identity-names.js";
import { sessionSeconds } from "./session-lifetime.js";
import { newSessionSecrets } from "./session-secrets.js";

const SESSION_POLICY_CHARS = 2048;
const CHAINED_SECONDS = 3600;

/**
 * AssumeRole: a session as a role. Authorization has decided it with the role's trust policy as
 * the resource-based policy (a trust policy naming a caller of the role's account allows by
 * itself; one naming the account, or a role of another account, needs the caller's identity
 * policy to allow sts:AssumeRole too). A session policy narrows the session: it can never grant
 * more than the role.
 */
export const assumeRole: IdentityHandlers["assumeRole"] = async (req, ctx) => {
  const { identities, policies, partition } = requireServices(ctx);
  const caller = requireCaller(ctx);
  checkIamName("role_session_name", req.roleSessionName, 64, 2);
  // As in STS: a session policy is at most 2,048 characters.
  if (req.policy.length > SESSION_POLICY_CHARS) throw validationError(`policy must be at most ${SESSION_POLICY_CHARS} characters`);
  if (req.policy !== "") checkPolicyDocument(req.policy, "session", policies);
  const started = now(ctx);
  // The role as authorization read it: the session is for exactly the role its trust policy allowed.
  const role = ctx.values.get(authorizedRoleKey);
  if (!role) throw new KmsError("AccessDeniedException", describeRefusal({ principal: caller, action: "sts:AssumeRole", resource: req.roleArn }));
  // Role chaining (a role session assuming a role) lasts at most one hour, as in STS.
  const chained = caller.kind === "role-session";
  if (chained && req.durationSeconds !== undefined && req.durationSeconds > CHAINED_SECONDS) {
    throw validationError(`a role session assuming a role (role chaining) gets at most ${CHAINED_SECONDS} seconds`);
  }
  const seconds = sessionSeconds(req.durationSeconds, chained ? Math.min(role.maxSessionDuration, CHAINED_SECONDS) : role.maxSessionDuration);

  const { sessionId, secretHash, wrappedSigningSecret, awsTokenHash, credentials } = newSessionSecrets(identities);
  const expiresAt = started + seconds * 1000;
  await identities.transaction([], auditCommit(ctx), async (tx) =>
    tx.putSession({
      sessionId,
      secretHash,
      accountId: role.accountId,
      kind: "role-session",
      name: role.roleName,
      principalId: role.roleId,
      roleSessionName: req.roleSessionName,
      ...(req.policy !== "" ? { sessionPolicy: req.policy } : {}),
      createdAt: started,
      expiresAt,
      wrappedSigningSecret,
      awsTokenHash,
    }),
  );
  return {
    credentials: credentials(expiresAt),
    assumedRoleUser: { assumedRoleId: `${role.roleId}:${req.roleSessionName}`, arn: principalArn.roleSession(partition, role.accountId, role.roleName, req.roleSessionName) },
  };
};
