import { auditCommit } from "../../audit/pending-audit.js";
import { buildConditionContext } from "../../authorization/condition-context.js";
import { connectionKey, now, requireCaller, requireServices } from "../../context.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { parseRoleArn, principalArn } from "../../identity/principal-arn.js";
import { evaluatePolicy } from "../../policy/index.js";
import { checkPolicyDocument } from "../policy-document.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { checkIamName } from "./identity-names.js";
import { sessionSeconds } from "./session-lifetime.js";
import { newSessionSecrets } from "./session-secrets.js";

/**
 * AssumeRole: a session as a role. The caller's identity policy must allow sts:AssumeRole on
 * the role (checked by authorization), and the role's trust policy must allow the caller
 * (checked here). A session policy narrows the session: it can never grant more than the role.
 */
export const assumeRole: IdentityHandlers["assumeRole"] = async (req, ctx) => {
  const { identities, policies, partition } = requireServices(ctx);
  const caller = requireCaller(ctx);
  const roleRef = parseRoleArn(req.roleArn);
  if (!roleRef) throw validationError("role_arn must be a role ARN, arn:aws:iam::<account>:role/<name>");
  checkIamName("role_session_name", req.roleSessionName, 64, 2);
  if (req.policy !== "") checkPolicyDocument(req.policy, "session", policies);
  const started = now(ctx);
  const role = await identities.getRole(roleRef.accountId, roleRef.roleName);
  // A missing role and a trust policy that refuses get the same answer, so callers cannot probe
  // which roles exist (in their account or another).
  const trust =
    role &&
    evaluatePolicy(policies.get(role.trustPolicy, "trust"), {
      principal: caller,
      action: "sts:AssumeRole",
      resource: principalArn.role(partition, role.accountId, role.roleName),
      context: buildConditionContext({ caller, connection: ctx.values.get(connectionKey), now: started, region: "", requestDesc: ctx.method.input, request: req as never }),
    });
  if (!role || trust?.effect !== "Allow") {
    throw new KmsError("AccessDeniedException", `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${req.roleArn}`);
  }
  const seconds = sessionSeconds(req.durationSeconds, role.maxSessionDuration);

  const { sessionId, secretHash, wrappedSigningSecret, credentials } = newSessionSecrets(identities);
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
    }),
  );
  return {
    credentials: credentials(expiresAt),
    assumedRoleUser: { assumedRoleId: `${role.roleId}:${req.roleSessionName}`, arn: principalArn.roleSession(partition, role.accountId, role.roleName, req.roleSessionName) },
  };
};
