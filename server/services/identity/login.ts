import { auditCommit } from "../../audit/pending-audit.js";
import { loginPrincipalKey, now, requireServices } from "../../context.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { ownsKey } from "../../identity/authenticate.js";
import { principalArn } from "../../identity/principal-arn.js";
import { secretsEqual } from "../../identity/secrets.js";
import { sessionSeconds } from "./session-lifetime.js";
import type { IdentityHandlers } from "./identity-handler-types.js";
import { identityLock } from "./identity-names.js";
import { newSessionSecrets } from "./session-secrets.js";

const REFUSED = "the access key id or secret access key is not valid";

/**
 * Login: an access key for a session token. Unknown keys, inactive keys and wrong secrets get
 * the same answer, and the secret is compared in constant time.
 */
export const login: IdentityHandlers["login"] = async (req, ctx) => {
  const { identities, partition } = requireServices(ctx);
  if (req.accessKeyId === "" || req.secretAccessKey === "") throw validationError("access_key_id and secret_access_key are required");
  const seconds = sessionSeconds(req.durationSeconds);
  const key = await identities.getAccessKey(req.accessKeyId);
  const valid = key !== undefined && key.status === "Active" && secretsEqual(identities.openSecret(key), req.secretAccessKey);
  const user = valid ? await identities.getUser(key.accountId, key.userName) : undefined;
  if (!key || !valid || !user || !ownsKey(user, key)) throw new KmsError("UnrecognizedClientException", REFUSED);
  const arn = principalArn.user(partition, user.accountId, user.userName);
  ctx.values.set(loginPrincipalKey, arn);
  const { sessionId, secretHash, wrappedSigningSecret, awsTokenHash, credentials } = newSessionSecrets(identities);
  let expiresAt = 0;
  // Under the user's lock, as UpdateAccessKey and DeleteUser take it: the key is still active, and
  // the session is older than any later deactivation.
  await identities.transaction([identityLock("user", key.accountId, key.userName)], auditCommit(ctx), async (tx) => {
    const current = await identities.getAccessKey(key.accessKeyId);
    if (current?.status !== "Active" || (await identities.getUser(key.accountId, key.userName))?.userId !== user.userId) throw new KmsError("UnrecognizedClientException", REFUSED);
    const started = now(ctx);
    expiresAt = started + seconds * 1000;
    tx.putSession({ sessionId, secretHash, accountId: key.accountId, kind: "user", name: user.userName, principalId: user.userId, accessKeyId: key.accessKeyId, createdAt: started, expiresAt, wrappedSigningSecret, awsTokenHash });
  });
  return { credentials: credentials(expiresAt), principalArn: arn };
};
