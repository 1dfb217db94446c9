import { keyScope } from "../../context.js";
import { refuseRecipient } from "../../domain/validation.js";
import { issueDataKeyPair } from "../data-key-pairs.js";
import type { KmsHandlers } from "../handler-types.js";

/** GenerateDataKeyPair: a fresh key pair, the private key in plaintext and encrypted under a symmetric key. */
export const generateDataKeyPair: KmsHandlers["generateDataKeyPair"] = async (req, ctx) => {
  refuseRecipient(req.recipient);
  const pair = await issueDataKeyPair(keyScope(ctx), req);
  return {
    privateKeyCiphertextBlob: pair.privateKeyCiphertextBlob,
    privateKeyPlaintext: pair.privateKeyPlaintext,
    publicKey: pair.publicKey,
    keyId: pair.keyId,
    keyPairSpec: req.keyPairSpec,
    keyMaterialId: pair.keyMaterialId,
  };
};
