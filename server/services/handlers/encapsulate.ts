import { keyScope } from "../../context.js";
import { mlKemEncapsulateOffLoop } from "../../crypto/asymmetric/off-loop.js";
import { stopIfDryRun } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { publicKeyOf, resolveKeyForUsage, specOf } from "../key-use.js";
import { checkEncapsulationAlgorithm } from "./encapsulation-algorithm.js";

/**
 * Encapsulate: a fresh 32-byte shared secret and its encapsulation under an ML-KEM key's public
 * key. Anyone with the public key (GetPublicKey) can do the same locally; this is for callers
 * without an ML-KEM implementation, and it is authorized and audited like any use of the key.
 */
export const encapsulate: KmsHandlers["encapsulate"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const key = await resolveKeyForUsage(scope, req.keyId, "ENCAPSULATE_DECAPSULATE", "Encapsulate");
  checkEncapsulationAlgorithm(req.encapsulationAlgorithm, key);
  stopIfDryRun(req.dryRun);
  const { sharedSecret, ciphertext } = await mlKemEncapsulateOffLoop(specOf(key.key), publicKeyOf(key));
  return { keyId: key.arn, sharedSecret, sharedSecretCiphertextBlob: ciphertext, encapsulationAlgorithm: req.encapsulationAlgorithm };
};
