import { randomBytes } from "node:crypto";
import { keyScope } from "../../context.js";
import { checkNewEncryptionContext, stopIfDryRun } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { encryptWithCurrentVersion, resolveEncryptionKey } from "../symmetric-keys.js";
import { dataKeyLength } from "./data-key-length.js";

/** GenerateDataKeyWithoutPlaintext: a fresh data key returned only encrypted, for a system that will decrypt it later. */
export const generateDataKeyWithoutPlaintext: KmsHandlers["generateDataKeyWithoutPlaintext"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const length = dataKeyLength(req.keySpec, req.numberOfBytes);
  checkNewEncryptionContext("encryption_context", req.encryptionContext);
  const key = await resolveEncryptionKey(scope, req.keyId);
  stopIfDryRun(req.dryRun);
  const plaintext = randomBytes(length);
  try {
    const { ciphertextBlob, keyMaterialId } = await encryptWithCurrentVersion(scope, key, plaintext, req.encryptionContext);
    return { ciphertextBlob, keyId: key.arn, keyMaterialId };
  } finally {
    plaintext.fill(0);
  }
};
