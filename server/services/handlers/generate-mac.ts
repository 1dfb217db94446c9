import { MacAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { generateMac as hmac } from "../../crypto/asymmetric/hmac.js";
import { stopIfDryRun } from "../../domain/validation.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { openCurrentMaterial, resolveKeyForUsage, specOf } from "../key-use.js";

/** GenerateMac: the HMAC of a message under an HMAC key, with the algorithm of the key's spec. */
export const generateMac: KmsHandlers["generateMac"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.macAlgorithm === MacAlgorithmSpec.UNSPECIFIED) throw validationError("mac_algorithm is required");
  const key = await resolveKeyForUsage(scope, req.keyId, "GENERATE_VERIFY_MAC", "GenerateMac");
  const mac = hmac(specOf(key.key), req.macAlgorithm, await openCurrentMaterial(scope, key), req.message);
  stopIfDryRun(req.dryRun);
  return { mac, macAlgorithm: req.macAlgorithm, keyId: key.arn };
};
