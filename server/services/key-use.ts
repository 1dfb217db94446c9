import { KeySpec } from "../../gen/kms/v1/types_pb.js";
import type { KeyScope } from "../context.js";
import type { KeyRecord } from "../domain/key-record.js";
import { requireEnabled } from "../domain/key-state-rules.js";
import { KmsError, validationError } from "../errors/kms-error.js";
import { enumValue } from "./proto-enum.js";
import { resolveKey, type ResolvedKey } from "./resolve-key.js";

/** The AWS names of key usages, as KeyRecord stores them. */
export type KeyUsageName = "ENCRYPT_DECRYPT" | "SIGN_VERIFY" | "GENERATE_VERIFY_MAC" | "KEY_AGREEMENT" | "ENCAPSULATE_DECAPSULATE";

/**
 * The key a cryptographic operation uses: found, Enabled, and made for the operation's usage;
 * any other key is InvalidKeyUsageException, as in AWS.
 */
export async function resolveKeyForUsage(scope: KeyScope, identifier: string, usage: KeyUsageName, operation: string, field = "key_id"): Promise<ResolvedKey> {
  const resolved = await resolveKey(scope, identifier, field);
  requireEnabled(resolved.key, resolved.arn);
  requireUsage(resolved, usage, operation);
  return resolved;
}

/** Refuses a key whose usage is not the one the operation needs. */
export function requireUsage({ key, arn }: ResolvedKey, usage: KeyUsageName, operation: string): void {
  if (key.keyUsage !== usage) {
    throw new KmsError("InvalidKeyUsageException", `${arn} is a ${key.keySpec} key with usage ${key.keyUsage}; ${operation} needs a key with usage ${usage}.`);
  }
}

/** A stored key's spec as the enum the crypto core takes. */
export function specOf(key: KeyRecord): KeySpec {
  return enumValue(KeySpec, key.keySpec);
}

/** The secret material of the key's current version: an HMAC key or a PKCS#8 private key. Shared and cached: never alter it. */
export async function openCurrentMaterial(scope: KeyScope, { key, arn }: ResolvedKey): Promise<Uint8Array> {
  const version = await scope.region.keyring.openKeyVersion(key.keyId, key.currentVersion);
  if (!version) throw new Error(`${arn} has no current version ${key.currentVersion}`);
  return version.material;
}

/** The public key (DER SubjectPublicKeyInfo) of an asymmetric key. */
export function publicKeyOf({ key, arn }: ResolvedKey): Buffer {
  if (key.publicKey === undefined) throw new KmsError("UnsupportedOperationException", `${arn} is a ${key.keySpec} key, which has no public key.`);
  return Buffer.from(key.publicKey, "base64");
}

/** Asymmetric and MAC algorithms take no encryption context; AWS refuses one rather than ignore it. */
export function refuseEncryptionContext(field: string, context: Readonly<Record<string, string>>, arn: string): void {
  if (Object.keys(context).length > 0) throw validationError(`${field} is not supported with ${arn}: only symmetric encryption keys take an encryption context`);
}
