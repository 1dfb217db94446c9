import { EncryptionAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, checkEncryptionContext, refuseRecipient, stopIfDryRun } from "../../domain/validation.js";
import { ignoresCiphertext } from "../../domain/dry-run.js";
import { decryptAsymmetric, dryRunWithoutCiphertext, namedAsymmetricKey } from "../asymmetric-encryption.js";
import type { KmsHandlers } from "../handler-types.js";
import { checkSymmetricAlgorithm, decryptBlob } from "../symmetric-keys.js";

/**
 * Decrypt: a symmetric ciphertext names its key (key_id, when given, must be that key); an RSA
 * ciphertext is decrypted with the RSA key key_id names and the algorithm it was made with.
 */
export const decrypt: KmsHandlers["decrypt"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  checkEncryptionContext("encryption_context", req.encryptionContext);
  refuseRecipient(req.recipient);
  if (ignoresCiphertext(req)) return dryRunWithoutCiphertext(scope, req.keyId, "key_id", "Decrypt");
  const asymmetric = await namedAsymmetricKey(scope, req.keyId, "key_id", "Decrypt");
  if (asymmetric) {
    checkByteLength("ciphertext_blob", req.ciphertextBlob, limits.ciphertextBlobBytes);
    const plaintext = await decryptAsymmetric(scope, asymmetric, req.encryptionAlgorithm, req.ciphertextBlob, req.encryptionContext, "encryption_context");
    if (req.dryRun) plaintext.fill(0);
    stopIfDryRun(req.dryRun);
    return { keyId: asymmetric.arn, plaintext, encryptionAlgorithm: req.encryptionAlgorithm, keyMaterialId: asymmetric.key.currentKeyMaterialId };
  }
  const decrypted = await decryptBlob(scope, req.ciphertextBlob, req.encryptionContext, { identifier: req.keyId, field: "key_id", blobField: "ciphertext_blob" });
  checkSymmetricAlgorithm(req.encryptionAlgorithm, decrypted.arn);
  if (req.dryRun) decrypted.plaintext.fill(0);
  stopIfDryRun(req.dryRun);
  return {
    keyId: decrypted.arn,
    plaintext: decrypted.plaintext,
    encryptionAlgorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT,
    keyMaterialId: decrypted.keyMaterialId,
  };
};
