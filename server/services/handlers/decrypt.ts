import { EncryptionAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { checkEncryptionContext, refuseRecipient, stopIfDryRun } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { checkSymmetricAlgorithm, decryptBlob } from "../symmetric-keys.js";

/** Decrypt: the key comes from the ciphertext; key_id, when given, must be that key. */
export const decrypt: KmsHandlers["decrypt"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  checkEncryptionContext("encryption_context", req.encryptionContext);
  refuseRecipient(req.recipient);
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
