import type { EncryptionContext } from "../crypto/encryption-context.js";
import { parseCiphertextBlob, INVALID_CIPHERTEXT_MESSAGE } from "../crypto/ciphertext-blob.js";
import { decryptSymmetric, encryptSymmetric } from "../crypto/symmetric-encryption.js";
import { EncryptionAlgorithmSpec } from "../../gen/kms/v1/types_pb.js";
import { KmsError } from "../errors/kms-error.js";
import { requireSymmetricEncryptionKey, requireEnabled } from "../domain/key-state-rules.js";
import { limits } from "../domain/limits.js";
import type { KeyScope } from "../context.js";
import { checkByteLength } from "../domain/validation.js";
import { keyArn } from "../domain/region.js";
import { resolveKey, type ResolvedKey } from "./resolve-key.js";

/** The key an encrypting operation writes with: found, Enabled, and a symmetric encryption key. */
export async function resolveEncryptionKey(scope: KeyScope, identifier: string, field = "key_id"): Promise<ResolvedKey> {
  const resolved = await resolveKey(scope, identifier, field);
  requireEnabled(resolved.key, resolved.arn);
  requireSymmetricEncryptionKey(resolved.key, resolved.arn);
  return resolved;
}

/** Symmetric keys take SYMMETRIC_DEFAULT (or no algorithm); asymmetric algorithms are InvalidKeyUsageException. */
export function checkSymmetricAlgorithm(algorithm: EncryptionAlgorithmSpec, arn: string, field = "encryption_algorithm"): void {
  if (algorithm !== EncryptionAlgorithmSpec.UNSPECIFIED && algorithm !== EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT) {
    throw new KmsError("InvalidKeyUsageException", `${field} ${EncryptionAlgorithmSpec[algorithm] ?? algorithm} is not supported by ${arn}, a symmetric key`);
  }
}

/** Encrypts under the key's current version. */
export async function encryptWithCurrentVersion({ region }: KeyScope, resolved: ResolvedKey, plaintext: Uint8Array, context: EncryptionContext) {
  const version = await region.keyring.openKeyVersion(resolved.key.keyId, resolved.key.currentVersion);
  if (!version) throw new Error(`${resolved.arn} has no current version ${resolved.key.currentVersion}`);
  return { ciphertextBlob: encryptSymmetric(version, plaintext, context), keyMaterialId: version.keyMaterialId };
}

/** The key a ciphertext blob names, in any account of the region; an unknown key is InvalidCiphertextException. */
export async function loadBlobKey(scope: KeyScope, keyId: string): Promise<ResolvedKey> {
  const key = await scope.region.keyring.getKey(keyId);
  if (!key) throw new KmsError("InvalidCiphertextException", INVALID_CIPHERTEXT_MESSAGE);
  return { key, arn: keyArn(scope.region, key.accountId, key.keyId) };
}

/** What decrypting a symmetric ciphertext yields. */
export interface Decrypted extends ResolvedKey {
  readonly plaintext: Buffer;
  readonly keyMaterialId: string;
}

/**
 * Decrypts a symmetric ciphertext blob. The key comes from the blob; a key named by the
 * caller that is not that key is IncorrectKeyException. Every other failure (malformed blob,
 * unknown key or version, altered bytes, other context) is the same InvalidCiphertextException.
 */
export async function decryptBlob(
  scope: KeyScope,
  blobBytes: Uint8Array,
  context: EncryptionContext,
  expected: { identifier: string; field: string; blobField: string },
): Promise<Decrypted> {
  checkByteLength(expected.blobField, blobBytes, limits.ciphertextBlobBytes);
  const blob = parseCiphertextBlob(blobBytes);
  let resolved: ResolvedKey | undefined;
  if (expected.identifier !== "") {
    resolved = await resolveKey(scope, expected.identifier, expected.field);
    if (resolved.key.keyId !== blob.keyId) {
      throw new KmsError("IncorrectKeyException", `The key named in ${expected.field} is not the key that encrypted the ciphertext.`);
    }
  } else {
    // The blob names only a key id: the key may belong to another account (cross-account use is
    // for authorization to decide), but it must exist in this region.
    resolved = scope.resolved?.get(expected.blobField) ?? (await loadBlobKey(scope, blob.keyId));
  }
  requireEnabled(resolved.key, resolved.arn);
  if (resolved.key.keySpec !== "SYMMETRIC_DEFAULT") throw new KmsError("InvalidCiphertextException", INVALID_CIPHERTEXT_MESSAGE);
  // A version after the current one (imported material pending rotation) has encrypted nothing.
  const version = blob.keyVersion <= resolved.key.currentVersion ? await scope.region.keyring.openKeyVersion(blob.keyId, blob.keyVersion) : undefined;
  if (!version) throw new KmsError("InvalidCiphertextException", INVALID_CIPHERTEXT_MESSAGE);
  return { ...resolved, plaintext: decryptSymmetric(version, blob, context), keyMaterialId: version.keyMaterialId };
}
