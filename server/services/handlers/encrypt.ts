import { EncryptionAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, checkEncryptionContext, stopIfDryRun } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { checkSymmetricAlgorithm, encryptWithCurrentVersion, resolveEncryptionKey } from "../symmetric-keys.js";

/** Encrypt: up to 4096 bytes under a symmetric key's current version, bound to the encryption context. */
export const encrypt: KmsHandlers["encrypt"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  checkByteLength("plaintext", req.plaintext, limits.plaintextBytes);
  checkEncryptionContext("encryption_context", req.encryptionContext);
  const key = await resolveEncryptionKey(scope, req.keyId);
  checkSymmetricAlgorithm(req.encryptionAlgorithm, key.arn);
  stopIfDryRun(req.dryRun);
  const { ciphertextBlob } = await encryptWithCurrentVersion(scope, key, req.plaintext, req.encryptionContext);
  return { ciphertextBlob, keyId: key.arn, encryptionAlgorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT };
};
