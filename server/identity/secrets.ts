import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** An id with AWS's shape: a four-letter prefix (AKIA, AIDA, AROA) and 16 base32 characters. */
export function newAwsStyleId(prefix: string): string {
  const bytes = randomBytes(16);
  let id = prefix;
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

/** A secret access key: 40 characters, as AWS's are. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64");
}

/** A new bearer token "kms1.<session id>.<secret>": the id finds the session, the secret proves it. */
export function newSessionToken(): { token: string; sessionId: string; secretHash: string } {
  const sessionId = randomBytes(16).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { token: `kms1.${sessionId}.${secret}`, sessionId, secretHash: hashSecret(secret) };
}

/** Splits a bearer token; undefined when it is not one of ours. */
export function parseSessionToken(token: string): { sessionId: string; secret: string } | undefined {
  const m = /^kms1\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { sessionId: m[1]!, secret: m[2]! } : undefined;
}

/**
 * A session's token for the AWS endpoint, "kmsaws1.<session id>.<secret>": sent as
 * X-Amz-Security-Token beside a SigV4 signature made with the session's temporary secret key. It
 * is no bearer token (parseSessionToken refuses it), so a request whose headers are seen gives
 * away nothing usable without that secret, as with AWS's own session tokens.
 */
export function newAwsSessionToken(sessionId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString("base64url");
  return { token: `kmsaws1.${sessionId}.${secret}`, hash: hashSecret(secret) };
}

/** Splits an AWS endpoint session token; undefined when it is not one. */
export function parseAwsSessionToken(token: string): { sessionId: string; secret: string } | undefined {
  const m = /^kmsaws1\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { sessionId: m[1]!, secret: m[2]! } : undefined;
}

/** The stored form of a token secret: SHA-256, so a copy of the store holds no usable token. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compares two secrets in constant time (by their SHA-256, so lengths never leak). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a, "utf8").digest(), createHash("sha256").update(b, "utf8").digest());
}

/** Compares two SHA-256 hashes (hex) in constant time; anything not a 32-byte hash is unequal. */
export function hashesEqual(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, "hex");
  const b = Buffer.from(bHex, "hex");
  return a.length === 32 && b.length === 32 && timingSafeEqual(a, b);
}

/** The prefix of a session's temporary access key id, as AWS marks temporary credentials. */
const TEMPORARY_KEY_PREFIX = "ASIA";

/** A session's temporary access key id: its session id, so no index is needed to find it. */
export function temporaryAccessKeyId(sessionId: string): string {
  return `${TEMPORARY_KEY_PREFIX}${sessionId.toUpperCase()}`;
}

/** The session id of a temporary access key id, or undefined when it is not one. */
export function sessionIdOfTemporaryKey(accessKeyId: string): string | undefined {
  const m = /^ASIA([0-9A-F]{32})$/.exec(accessKeyId);
  return m ? m[1]!.toLowerCase() : undefined;
}
