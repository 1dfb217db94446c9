import { EncryptionAlgorithmSpec } from "../../gen/kms/v1/types_pb.js";
import type { KeyScope } from "../context.js";
import { INVALID_CIPHERTEXT_MESSAGE } from "../crypto/ciphertext-blob.js";
import { decryptRsaOaepOffLoop } from "../crypto/asymmetric/off-loop.js";
import { encryptRsaOaep } from "../crypto/asymmetric/rsa-oaep.js";
import type { EncryptionContext } from "../crypto/encryption-context.js";
import { stopIfDryRun } from "../domain/validation.js";
import { KmsError, validationError } from "../errors/kms-error.js";
import { requireEnabled } from "../domain/key-state-rules.js";
import { openCurrentMaterial, publicKeyOf, refuseEncryptionContext, requireUsage, specOf } from "./key-use.js";
import { resolveKey, type ResolvedKey } from "./resolve-key.js";

/** Whether a key encrypts with an asymmetric algorithm (RSA ENCRYPT_DECRYPT keys). */
export function isAsymmetricEncryptionKey(key: ResolvedKey["key"]): boolean {
  return key.keyUsage === "ENCRYPT_DECRYPT" && key.keySpec !== "SYMMETRIC_DEFAULT";
}

/**
 * Encrypts with an RSA key's public half. The ciphertext is the raw RSAES-OAEP output, as AWS
 * returns it, so anyone with the public key can make ciphertexts the service decrypts. An
 * algorithm the key lacks (or none) is InvalidKeyUsageException; a context, ValidationException.
 */
export function encryptAsymmetric(key: ResolvedKey, algorithm: EncryptionAlgorithmSpec, plaintext: Uint8Array, context: EncryptionContext, contextField: string): Buffer {
  refuseEncryptionContext(contextField, context, key.arn);
  return encryptRsaOaep(specOf(key.key), algorithm, publicKeyOf(key), plaintext);
}

/**
 * Decrypts a raw RSAES-OAEP ciphertext with the key's private half. Wrong key, wrong hash or
 * altered bytes are all the one InvalidCiphertextException every decrypt failure gives.
 */
export async function decryptAsymmetric(scope: KeyScope, key: ResolvedKey, algorithm: EncryptionAlgorithmSpec, ciphertext: Uint8Array, context: EncryptionContext, contextField: string): Promise<Buffer> {
  refuseEncryptionContext(contextField, context, key.arn);
  const plaintext = await decryptRsaOaepOffLoop(specOf(key.key), algorithm, await openCurrentMaterial(scope, key), ciphertext);
  if (!plaintext) throw new KmsError("InvalidCiphertextException", INVALID_CIPHERTEXT_MESSAGE);
  return plaintext;
}

/**
 * The asymmetric key a decrypting request names, if it names one: an asymmetric ciphertext
 * carries no key identity, so Decrypt's key_id (ReEncrypt's source_key_id) says which key to
 * use. A symmetric key named there is left to the ciphertext's own key check.
 */
export async function namedAsymmetricKey(scope: KeyScope, identifier: string, field: string, operation: string): Promise<ResolvedKey | undefined> {
  if (identifier === "") return undefined;
  const key = await resolveKey(scope, identifier, field);
  if (key.key.keySpec === "SYMMETRIC_DEFAULT") return undefined;
  requireEnabled(key.key, key.arn);
  requireUsage(key, "ENCRYPT_DECRYPT", operation);
  return key;
}

/**
 * A dry run with IGNORE_CIPHERTEXT: the named key must exist, be usable and be an encryption
 * key; then DryRunOperationException, without the ciphertext ever being read.
 */
export async function dryRunWithoutCiphertext(scope: KeyScope, identifier: string, field: string, operation: string): Promise<never> {
  if (identifier === "") throw validationError(`${field} is required for a dry run with IGNORE_CIPHERTEXT`);
  const key = await resolveKey(scope, identifier, field);
  requireEnabled(key.key, key.arn);
  requireUsage(key, "ENCRYPT_DECRYPT", operation);
  stopIfDryRun(true);
  throw new Error("unreachable");
}
