import { SigningAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { verifyOffLoop } from "../../crypto/asymmetric/off-loop.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, stopIfDryRun } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { publicKeyOf, resolveKeyForUsage, specOf } from "../key-use.js";

/** Verify: checks a signature with the key's public half; one that does not verify is KMSInvalidSignatureException. */
export const verify: KmsHandlers["verify"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.signingAlgorithm === SigningAlgorithmSpec.UNSPECIFIED) throw validationError("signing_algorithm is required");
  checkByteLength("signature", req.signature, limits.signatureBytes);
  const key = await resolveKeyForUsage(scope, req.keyId, "SIGN_VERIFY", "Verify");
  const valid = await verifyOffLoop(specOf(key.key), req.signingAlgorithm, publicKeyOf(key), req.message, req.messageType, req.signature);
  stopIfDryRun(req.dryRun);
  if (!valid) throw new KmsError("KMSInvalidSignatureException", "The signature does not verify with this key, algorithm and message.");
  return { keyId: key.arn, signatureValid: true, signingAlgorithm: req.signingAlgorithm };
};
