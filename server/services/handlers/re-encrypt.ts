import { EncryptionAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { checkEncryptionContext, stopIfDryRun } from "../../domain/validation.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { checkSymmetricAlgorithm, decryptBlob, encryptWithCurrentVersion, resolveEncryptionKey } from "../symmetric-keys.js";

/**
 * ReEncrypt: decrypts and encrypts again under the destination key's current version without
 * the plaintext leaving the server. The source may be pending deletion (to move data off it);
 * the destination must be Enabled.
 */
export const reEncrypt: KmsHandlers["reEncrypt"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.destinationKeyId === "") throw validationError("destination_key_id is required");
  checkEncryptionContext("source_encryption_context", req.sourceEncryptionContext);
  checkEncryptionContext("destination_encryption_context", req.destinationEncryptionContext);
  const destination = await resolveEncryptionKey(scope, req.destinationKeyId, "destination_key_id");
  checkSymmetricAlgorithm(req.destinationEncryptionAlgorithm, destination.arn, "destination_encryption_algorithm");
  const source = await decryptBlob(scope, req.ciphertextBlob, req.sourceEncryptionContext, {
    identifier: req.sourceKeyId,
    field: "source_key_id",
    blobField: "ciphertext_blob",
    allowPendingDeletion: true,
  });
  try {
    checkSymmetricAlgorithm(req.sourceEncryptionAlgorithm, source.arn, "source_encryption_algorithm");
    stopIfDryRun(req.dryRun);
    const encrypted = await encryptWithCurrentVersion(scope, destination, source.plaintext, req.destinationEncryptionContext);
    return {
      ciphertextBlob: encrypted.ciphertextBlob,
      sourceKeyId: source.arn,
      keyId: destination.arn,
      sourceEncryptionAlgorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT,
      destinationEncryptionAlgorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT,
      sourceKeyMaterialId: source.keyMaterialId,
      destinationKeyMaterialId: encrypted.keyMaterialId,
    };
  } finally {
    source.plaintext.fill(0);
  }
};
