import { EncryptionAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, checkNewEncryptionContext, stopIfDryRun } from "../../domain/validation.js";
import { encryptAsymmetric, isAsymmetricEncryptionKey } from "../asymmetric-encryption.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyForUsage } from "../key-use.js";
import { checkSymmetricAlgorithm, encryptWithCurrentVersion } from "../symmetric-keys.js";

/**
 * Encrypt: up to 4096 bytes under a symmetric key's current version, bound to the encryption
 * context; or, with an RSA key, RSAES-OAEP with the algorithm the caller names.
 */
export const encrypt: KmsHandlers["encrypt"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  checkByteLength("plaintext", req.plaintext, limits.plaintextBytes);
  checkNewEncryptionContext("encryption_context", req.encryptionContext);
  const key = await resolveKeyForUsage(scope, req.keyId, "ENCRYPT_DECRYPT", "Encrypt");
  if (isAsymmetricEncryptionKey(key.key)) {
    const ciphertextBlob = encryptAsymmetric(key, req.encryptionAlgorithm, req.plaintext, req.encryptionContext, "encryption_context");
    stopIfDryRun(req.dryRun);
    return { ciphertextBlob, keyId: key.arn, encryptionAlgorithm: req.encryptionAlgorithm };
  }
  checkSymmetricAlgorithm(req.encryptionAlgorithm, key.arn);
  stopIfDryRun(req.dryRun);
  const { ciphertextBlob } = await encryptWithCurrentVersion(scope, key, req.plaintext, req.encryptionContext);
  return { ciphertextBlob, keyId: key.arn, encryptionAlgorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT };
};
