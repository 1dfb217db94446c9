import { keyScope } from "../../context.js";
import { mlKemDecapsulateOffLoop } from "../../crypto/asymmetric/off-loop.js";
import { mlKemCiphertextBytes } from "../../crypto/asymmetric/ml-kem.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, stopIfDryRun } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { openCurrentMaterial, resolveKeyForUsage, specOf } from "../key-use.js";
import { checkEncapsulationAlgorithm } from "./encapsulation-algorithm.js";

/**
 * Decapsulate: the shared secret of an encapsulation under an ML-KEM key, with its private key.
 * An altered encapsulation gives an unrelated secret rather than an error (FIPS 203's implicit
 * rejection), so, as with Decrypt, nothing tells a wrong key from tampering.
 */
export const decapsulate: KmsHandlers["decapsulate"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const key = await resolveKeyForUsage(scope, req.keyId, "ENCAPSULATE_DECAPSULATE", "Decapsulate");
  checkEncapsulationAlgorithm(req.encapsulationAlgorithm, key);
  checkByteLength("shared_secret_ciphertext_blob", req.sharedSecretCiphertextBlob, limits.ciphertextBlobBytes);
  // As AWS: an encapsulation of another length than the key's is not one of its ciphertexts.
  const length = mlKemCiphertextBytes(specOf(key.key));
  if (req.sharedSecretCiphertextBlob.length !== length) throw new KmsError("InvalidCiphertextException", `an ${key.key.keySpec} encapsulated secret is ${length} bytes`);
  stopIfDryRun(req.dryRun);
  const sharedSecret = await mlKemDecapsulateOffLoop(specOf(key.key), await openCurrentMaterial(scope, key), req.sharedSecretCiphertextBlob);
  return { keyId: key.arn, sharedSecret, encapsulationAlgorithm: req.encapsulationAlgorithm };
};
