import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { IdentityStore } from "../../identity/identity-store.js";
import { newAwsSessionToken, newSecretAccessKey, newSessionToken, temporaryAccessKeyId } from "../../identity/secrets.js";

/**
 * The secrets of a new session (Login, AssumeRole): the bearer token (only its hash is stored)
 * and temporary SigV4 credentials for the AWS endpoint, whose secret is stored wrapped under the
 * root key, as access key secrets are, because verifying a signature needs it, with their own
 * X-Amz-Security-Token, which is no bearer token (only its hash is stored).
 */
export function newSessionSecrets(identities: IdentityStore) {
  const { token, sessionId, secretHash } = newSessionToken();
  const accessKeyId = temporaryAccessKeyId(sessionId);
  const secretAccessKey = newSecretAccessKey();
  const aws = newAwsSessionToken(sessionId);
  return {
    sessionId,
    secretHash,
    wrappedSigningSecret: identities.wrapSecret(accessKeyId, secretAccessKey),
    awsTokenHash: aws.hash,
    /** What the caller receives. */
    credentials: (expiresAt: number) => ({ sessionToken: token, expiration: timestampFromMs(expiresAt), accessKeyId, secretAccessKey, awsSessionToken: aws.token }),
  };
}
