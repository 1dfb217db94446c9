import { randomBytes } from "node:crypto";
import { keyScope } from "../../context.js";
import { checkNewEncryptionContext, refuseRecipient, stopIfDryRun } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { encryptWithCurrentVersion, resolveEncryptionKey } from "../symmetric-keys.js";
import { dataKeyLength } from "./data-key-length.js";

/** GenerateDataKey: a fresh data key, returned in plaintext and encrypted; the server keeps neither. */
export const generateDataKey: KmsHandlers["generateDataKey"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const length = dataKeyLength(req.keySpec, req.numberOfBytes);
  checkNewEncryptionContext("encryption_context", req.encryptionContext);
  refuseRecipient(req.recipient);
  const key = await resolveEncryptionKey(scope, req.keyId);
  stopIfDryRun(req.dryRun);
  const plaintext = randomBytes(length);
  const { ciphertextBlob, keyMaterialId } = await encryptWithCurrentVersion(scope, key, plaintext, req.encryptionContext);
  return { ciphertextBlob, plaintext, keyId: key.arn, keyMaterialId };
};
