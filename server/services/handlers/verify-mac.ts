import { MacAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { verifyMac as checkHmac } from "../../crypto/asymmetric/hmac.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, stopIfDryRun } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { openCurrentMaterial, resolveKeyForUsage, specOf } from "../key-use.js";

/** VerifyMac: recomputes the HMAC and compares in constant time; a mismatch is KMSInvalidMacException. */
export const verifyMac: KmsHandlers["verifyMac"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.macAlgorithm === MacAlgorithmSpec.UNSPECIFIED) throw validationError("mac_algorithm is required");
  checkByteLength("mac", req.mac, limits.signatureBytes);
  const key = await resolveKeyForUsage(scope, req.keyId, "GENERATE_VERIFY_MAC", "VerifyMac");
  const valid = checkHmac(specOf(key.key), req.macAlgorithm, await openCurrentMaterial(scope, key), req.message, req.mac);
  stopIfDryRun(req.dryRun);
  if (!valid) throw new KmsError("KMSInvalidMacException", "The MAC does not verify with this key, algorithm and message.");
  return { keyId: key.arn, macValid: true, macAlgorithm: req.macAlgorithm };
};
