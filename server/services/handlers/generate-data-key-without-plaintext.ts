import { randomBytes } from "node:crypto";
import { requireRegion } from "../../context.js";
import { checkEncryptionContext, stopIfDryRun } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { encryptWithCurrentVersion, resolveEncryptionKey } from "../symmetric-keys.js";
import { dataKeyLength } from "./data-key-length.js";

/** GenerateDataKeyWithoutPlaintext: a fresh data key returned only encrypted, for a system that will decrypt it later. */
export const generateDataKeyWithoutPlaintext: KmsHandlers["generateDataKeyWithoutPlaintext"] = async (req, ctx) => {
  const region = requireRegion(ctx);
  const length = dataKeyLength(req.keySpec, req.numberOfBytes);
  checkEncryptionContext("encryption_context", req.encryptionContext);
  const key = await resolveEncryptionKey(region, req.keyId);
  stopIfDryRun(req.dryRun);
  const plaintext = randomBytes(length);
  try {
    const { ciphertextBlob, keyMaterialId } = await encryptWithCurrentVersion(region, key, plaintext, req.encryptionContext);
    return { ciphertextBlob, keyId: key.arn, keyMaterialId };
  } finally {
    plaintext.fill(0);
  }
};
