import { EncryptionAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, checkEncryptionContext, checkNewEncryptionContext, stopIfDryRun } from "../../domain/validation.js";
import { validationError } from "../../errors/kms-error.js";
import { ignoresCiphertext } from "../../domain/dry-run.js";
import { decryptAsymmetric, dryRunWithoutCiphertext, encryptAsymmetric, isAsymmetricEncryptionKey, namedAsymmetricKey } from "../asymmetric-encryption.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyForUsage } from "../key-use.js";
import { checkSymmetricAlgorithm, decryptBlob, encryptWithCurrentVersion } from "../symmetric-keys.js";

/**
 * ReEncrypt: decrypts and encrypts again under the destination key without the plaintext
 * leaving the server. Either side may be symmetric or RSA (an RSA source is named by
 * source_key_id). Both keys must be Enabled.
 */
export const reEncrypt: KmsHandlers["reEncrypt"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.destinationKeyId === "") throw validationError("destination_key_id is required");
  checkEncryptionContext("source_encryption_context", req.sourceEncryptionContext);
  checkNewEncryptionContext("destination_encryption_context", req.destinationEncryptionContext);
  const destination = await resolveKeyForUsage(scope, req.destinationKeyId, "ENCRYPT_DECRYPT", "ReEncrypt", "destination_key_id");
  const asymmetricDestination = isAsymmetricEncryptionKey(destination.key);
  if (!asymmetricDestination) checkSymmetricAlgorithm(req.destinationEncryptionAlgorithm, destination.arn, "destination_encryption_algorithm");
  if (ignoresCiphertext(req)) return dryRunWithoutCiphertext(scope, req.sourceKeyId, "source_key_id", "ReEncrypt");
  const source = await decryptSource(req, scope);
  try {
    stopIfDryRun(req.dryRun);
    const encrypted = asymmetricDestination
      ? {
          ciphertextBlob: encryptAsymmetric(destination, req.destinationEncryptionAlgorithm, source.plaintext, req.destinationEncryptionContext, "destination_encryption_context"),
          keyMaterialId: destination.key.currentKeyMaterialId,
        }
      : await encryptWithCurrentVersion(scope, destination, source.plaintext, req.destinationEncryptionContext);
    return {
      ciphertextBlob: encrypted.ciphertextBlob,
      sourceKeyId: source.arn,
      keyId: destination.arn,
      sourceEncryptionAlgorithm: source.algorithm,
      destinationEncryptionAlgorithm: asymmetricDestination ? req.destinationEncryptionAlgorithm : EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT,
      sourceKeyMaterialId: source.keyMaterialId,
      destinationKeyMaterialId: encrypted.keyMaterialId,
    };
  } finally {
    source.plaintext.fill(0);
  }
};

/** The source plaintext, from an RSA ciphertext of the key source_key_id names or from a symmetric blob. */
async function decryptSource(req: Parameters<KmsHandlers["reEncrypt"]>[0], scope: ReturnType<typeof keyScope>) {
  const asymmetric = await namedAsymmetricKey(scope, req.sourceKeyId, "source_key_id", "ReEncrypt");
  if (asymmetric) {
    checkByteLength("ciphertext_blob", req.ciphertextBlob, limits.ciphertextBlobBytes);
    const plaintext = await decryptAsymmetric(scope, asymmetric, req.sourceEncryptionAlgorithm, req.ciphertextBlob, req.sourceEncryptionContext, "source_encryption_context");
    return { arn: asymmetric.arn, plaintext, algorithm: req.sourceEncryptionAlgorithm, keyMaterialId: asymmetric.key.currentKeyMaterialId };
  }
  const source = await decryptBlob(scope, req.ciphertextBlob, req.sourceEncryptionContext, {
    identifier: req.sourceKeyId,
    field: "source_key_id",
    blobField: "ciphertext_blob",
  });
  try {
    checkSymmetricAlgorithm(req.sourceEncryptionAlgorithm, source.arn, "source_encryption_algorithm");
  } catch (e) {
    source.plaintext.fill(0);
    throw e;
  }
  return { ...source, algorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT };
}
