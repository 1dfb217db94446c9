import { randomBytes } from "node:crypto";
import { KmsError } from "../../errors/kms-error.js";

/**
 * Grant tokens name a grant: "kmsgt1.<region>.<key id>.<grant id>.<nonce>", base64url. Grants
 * here are consistent at once, so a token adds no permission; it identifies a grant for
 * RetireGrant, and tokens sent in grant_tokens are checked for form, as AWS does. The nonce makes
 * every CreateGrant's token unique, as AWS's are, even when a retry returns an existing grant;
 * tokens issued without one still parse.
 */
export function encodeGrantToken(region: string, keyId: string, grantId: string): string {
  return Buffer.from(`kmsgt1.${region}.${keyId}.${grantId}.${randomBytes(16).toString("hex")}`, "utf8").toString("base64url");
}

/** Parses a grant token; anything else is InvalidGrantTokenException. */
export function parseGrantToken(token: string): { region: string; keyId: string; grantId: string } {
  const text = token.length <= 8192 && /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, "base64url").toString("utf8") : "";
  const m = /^kmsgt1\.([a-z0-9-]+)\.([0-9a-z-]{1,64})\.([0-9a-f]{64})(?:\.[0-9a-f]{32})?$/.exec(text);
  if (!m) throw new KmsError("InvalidGrantTokenException", "the grant token is not valid");
  return { region: m[1]!, keyId: m[2]!, grantId: m[3]! };
}

/** Checks the grant_tokens of a request. */
export function checkGrantTokens(tokens: readonly string[]): void {
  if (tokens.length > 10) throw new KmsError("ValidationException", "at most 10 grant tokens");
  for (const token of tokens) parseGrantToken(token);
}
