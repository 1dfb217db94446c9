import { keyScope } from "../../context.js";
import { issueDataKeyPair } from "../data-key-pairs.js";
import type { KmsHandlers } from "../handler-types.js";

/** GenerateDataKeyPairWithoutPlaintext: a fresh key pair whose private key is returned only encrypted. */
export const generateDataKeyPairWithoutPlaintext: KmsHandlers["generateDataKeyPairWithoutPlaintext"] = async (req, ctx) => {
  const pair = await issueDataKeyPair(keyScope(ctx), req);
  pair.privateKeyPlaintext.fill(0);
  return { privateKeyCiphertextBlob: pair.privateKeyCiphertextBlob, publicKey: pair.publicKey, keyId: pair.keyId, keyPairSpec: req.keyPairSpec, keyMaterialId: pair.keyMaterialId };
};
