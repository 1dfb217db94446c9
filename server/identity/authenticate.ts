import type { Caller } from "./caller.js";
import type { AccessKeyRecord, SessionRecord, UserRecord } from "./identity-records.js";
import type { IdentityStore } from "./identity-store.js";
import { principalArn } from "./principal-arn.js";
import { hashesEqual, hashSecret, parseAwsSessionToken, parseSessionToken, sessionIdOfTemporaryKey } from "./secrets.js";
import { verifySigV4, type SigV4Request } from "../aws/sigv4-verify.js";

/** Why a token was refused; the message is safe to send to the caller. */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
}

/**
 * Resolves a bearer token to its caller. The token's secret is checked against the stored
 * hash in constant time; an expired or revoked session, a deleted user or role, or a
 * deactivated access key all refuse the token. Returns the caller and when the session expires.
 */
export async function authenticateSession(store: IdentityStore, token: string, now: number, partition: string): Promise<{ caller: Caller; expiresAt: number }> {
  const parsed = parseSessionToken(token);
  if (!parsed) throw new AuthenticationError("the bearer token is malformed");
  const session = await store.getSession(parsed.sessionId);
  if (!session || !hashesEqual(hashSecret(parsed.secret), session.secretHash)) throw new AuthenticationError("the session token is not valid");
  return sessionCaller(store, session, now, partition);
}

/** The caller of a session whose secret was proven: refused if it expired or its user, role or access key is gone. */
async function sessionCaller(store: IdentityStore, session: SessionRecord, now: number, partition: string): Promise<{ caller: Caller; expiresAt: number }> {
  if (session.expiresAt <= now) throw new AuthenticationError("the session token has expired");
  if (session.kind === "user") {
    const user = await store.getUser(session.accountId, session.name);
    if (!user || user.userId !== session.principalId) throw new AuthenticationError("the session's user no longer exists");
    if (session.accessKeyId !== undefined) {
      const key = await store.getAccessKey(session.accessKeyId);
      if (!key || key.status !== "Active" || session.createdAt <= (key.sessionsNotBefore ?? -Infinity)) throw new AuthenticationError("the access key of this session was deactivated or deleted");
    }
    return { caller: userCaller(user, partition, session.sessionId), expiresAt: session.expiresAt };
  }
  const role = await store.getRole(session.accountId, session.name);
  if (!role || role.roleId !== session.principalId) throw new AuthenticationError("the session's role no longer exists");
  const sessionName = session.roleSessionName ?? "session";
  const caller: Caller = {
    accountId: role.accountId,
    arn: principalArn.roleSession(partition, role.accountId, role.roleName, sessionName),
    userId: `${role.roleId}:${sessionName}`,
    roleArn: principalArn.role(partition, role.accountId, role.roleName),
    kind: "role-session",
    name: role.roleName,
    tags: Object.fromEntries(role.tags.map((t) => [t.key, t.value])),
    sessionId: session.sessionId,
    ...(session.sessionPolicy !== undefined ? { sessionPolicy: session.sessionPolicy } : {}),
  };
  return { caller, expiresAt: session.expiresAt };
}

/**
 * Resolves a verified client certificate to the user its subject CN is mapped to. The user must
 * exist; the "session" is the connection, so it lasts as long as the certificate is valid.
 */
export async function authenticateCertificate(store: IdentityStore, cn: string, principals: ReadonlyMap<string, string>, partition: string): Promise<Caller> {
  const arn = principals.get(cn);
  if (arn === undefined) throw new AuthenticationError(`no principal is mapped to the client certificate ${JSON.stringify(cn.slice(0, 64))}`);
  const m = /^arn:[^:]+:iam::(\d{12}):user\/(.+)$/.exec(arn)!;
  const user = await store.getUser(m[1]!, m[2]!);
  if (!user) throw new AuthenticationError("the client certificate's user does not exist");
  return userCaller(user, partition, `mtls:${cn}`);
}

/**
 * Whether an access key is this user's, not one of an earlier user of the same name: by its user
 * id, or for older keys (which carry none) by being made after the user was.
 */
export function ownsKey(user: UserRecord, key: AccessKeyRecord): boolean {
  return key.userId === undefined ? key.createdAt >= user.createdAt : key.userId === user.userId;
}

/** The caller a user acts as. */
function userCaller(user: UserRecord, partition: string, sessionId: string): Caller {
  return {
    accountId: user.accountId,
    arn: principalArn.user(partition, user.accountId, user.userName),
    userId: user.userId,
    kind: "user",
    name: user.userName,
    tags: Object.fromEntries(user.tags.map((t) => [t.key, t.value])),
    sessionId,
  };
}

/**
 * Resolves a SigV4-signed request (the AWS endpoint) to the user whose access key signed it. The
 * signature is recomputed with the key's secret; an unknown or deactivated key, or a user that
 * no longer exists, refuses the request.
 */
export async function authenticateSigV4(store: IdentityStore, request: SigV4Request, now: number, partition: string, isKnownRegion: (region: string) => boolean): Promise<{ caller: Caller; region: string }> {
  // The access key or session the signature was checked with, kept for the caller below.
  let signingKey: AccessKeyRecord | undefined;
  let signingSession: SessionRecord | undefined;
  const verified = await verifySigV4(request, {
    now,
    isKnownRegion,
    requiredSignedHeaders: ["x-amz-target"],
    secretFor: async (accessKeyId) => {
      // A session's temporary key (Login, AssumeRole): its token travels as X-Amz-Security-Token.
      const sessionId = sessionIdOfTemporaryKey(accessKeyId);
      if (sessionId !== undefined) {
        // An expired session still verifies its signature, so that its caller is told it expired (ExpiredTokenException) below.
        const session = await store.getSession(sessionId);
        if (!session?.wrappedSigningSecret) return undefined;
        signingSession = session;
        return {
          secret: store.openSigningSecret(accessKeyId, session.wrappedSigningSecret),
          checkSessionToken: (token) => {
            // The session's own X-Amz-Security-Token; a session made before there was one took its bearer token.
            const parsed = session.awsTokenHash !== undefined ? parseAwsSessionToken(token) : parseSessionToken(token);
            return parsed !== undefined && parsed.sessionId === sessionId && hashesEqual(hashSecret(parsed.secret), session.awsTokenHash ?? session.secretHash);
          },
        };
      }
      const key = await store.getAccessKey(accessKeyId);
      if (!key || key.status !== "Active") return undefined;
      signingKey = key;
      return { secret: store.openSecret(key) };
    },
  });
  // The session's own checks (expiry, its user, role or access key still there) apply as for a bearer token.
  if (signingSession !== undefined) return { caller: (await sessionCaller(store, signingSession, now, partition)).caller, region: verified.region };
  const key = signingKey!;
  const user = await store.getUser(key.accountId, key.userName);
  if (!user || !ownsKey(user, key)) throw new AuthenticationError("the access key's user no longer exists");
  return { caller: userCaller(user, partition, `sigv4:${verified.accessKeyId}`), region: verified.region };
}
