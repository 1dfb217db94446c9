import { KmsError, validationError } from "../errors/kms-error.js";
import type { Region } from "./region.js";

/**
 * What a key_id parameter names once parsed, with the account it belongs to: the ARN's
 * account, or the caller's for a bare key id or alias name (another account's key needs an ARN).
 */
export type KeyIdentifier =
  | { readonly kind: "key"; readonly accountId: string; readonly keyId: string }
  | { readonly kind: "alias"; readonly accountId: string; readonly aliasName: string };

const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const ARN = /^arn:([^:]+):kms:([^:]+):(\d{12}):(key\/.+|alias\/.+)$/;
const MAX_KEY_ID_LENGTH = 2048;

/** Whether a string is a well-formed key id (a UUID, or mrk- and 32 hex digits). */
export function isKeyId(value: string): boolean {
  return KEY_ID.test(value);
}

/**
 * Parses a key_id parameter: key ID, key ARN, alias name or alias ARN. An ARN of another
 * region names nothing here, so it is NotFound, as a key of another region is.
 */
export function parseKeyIdentifier(value: string, region: Region, callerAccount: string, field = "key_id"): KeyIdentifier {
  if (value === "") throw validationError(`${field} is required`);
  if (value.length > MAX_KEY_ID_LENGTH) throw validationError(`${field} must be at most ${MAX_KEY_ID_LENGTH} characters`);
  if (value.startsWith("alias/")) return { kind: "alias", accountId: callerAccount, aliasName: value };
  if (value.startsWith("arn:")) {
    const m = ARN.exec(value);
    if (!m) throw new KmsError("InvalidArnException", `${field} is not a valid KMS key or alias ARN`);
    const [, partition, regionName, accountId, resource] = m as unknown as [string, string, string, string, string];
    if (partition !== region.partition || regionName !== region.name) {
      throw new KmsError("NotFoundException", `${field} names a key of another region: ${value}`);
    }
    if (resource.startsWith("alias/")) return { kind: "alias", accountId, aliasName: resource };
    const keyId = resource.slice("key/".length);
    if (!isKeyId(keyId)) throw new KmsError("NotFoundException", `Invalid keyId ${keyId}`);
    return { kind: "key", accountId, keyId };
  }
  if (!isKeyId(value)) throw new KmsError("NotFoundException", `Invalid keyId ${value}`);
  return { kind: "key", accountId: callerAccount, keyId: value };
}

/** Like parseKeyIdentifier for management operations, which take a key ID or key ARN only. */
export function parseKeyIdOrArn(value: string, region: Region, callerAccount: string, field = "key_id"): { accountId: string; keyId: string } {
  const id = parseKeyIdentifier(value, region, callerAccount, field);
  if (id.kind === "alias") throw new KmsError("NotFoundException", `${field} must be a key ID or key ARN; this operation does not accept aliases`);
  return id;
}
