import { SigningAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { signOffLoop } from "../../crypto/asymmetric/off-loop.js";
import { stopIfDryRun } from "../../domain/validation.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { openCurrentMaterial, resolveKeyForUsage, specOf } from "../key-use.js";

/** Sign: a signature by a SIGN_VERIFY key's private half, over a message or its digest. */
export const sign: KmsHandlers["sign"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.signingAlgorithm === SigningAlgorithmSpec.UNSPECIFIED) throw validationError("signing_algorithm is required");
  const key = await resolveKeyForUsage(scope, req.keyId, "SIGN_VERIFY", "Sign");
  // The core refuses an algorithm the key lacks and a message of the wrong type or size before signing.
  const signature = await signOffLoop(specOf(key.key), req.signingAlgorithm, await openCurrentMaterial(scope, key), req.message, req.messageType);
  stopIfDryRun(req.dryRun);
  return { keyId: key.arn, signature, signingAlgorithm: req.signingAlgorithm };
};
