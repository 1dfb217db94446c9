import { KeyAgreementAlgorithmSpec, OriginType } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { deriveSharedSecret as ecdh } from "../../crypto/asymmetric/ecdh.js";
import { limits } from "../../domain/limits.js";
import { checkByteLength, refuseRecipient, stopIfDryRun } from "../../domain/validation.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { openCurrentMaterial, resolveKeyForUsage, specOf } from "../key-use.js";
import { enumValue } from "../proto-enum.js";

/** DeriveSharedSecret: ECDH between a KEY_AGREEMENT key and a peer's public key; the raw secret, as AWS returns it. */
export const deriveSharedSecret: KmsHandlers["deriveSharedSecret"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.keyAgreementAlgorithm === KeyAgreementAlgorithmSpec.UNSPECIFIED) throw validationError("key_agreement_algorithm is required");
  checkByteLength("public_key", req.publicKey, limits.peerPublicKeyBytes);
  refuseRecipient(req.recipient);
  const key = await resolveKeyForUsage(scope, req.keyId, "KEY_AGREEMENT", "DeriveSharedSecret");
  const sharedSecret = ecdh(specOf(key.key), req.keyAgreementAlgorithm, await openCurrentMaterial(scope, key), req.publicKey);
  if (req.dryRun) sharedSecret.fill(0);
  stopIfDryRun(req.dryRun);
  return { keyId: key.arn, sharedSecret, keyAgreementAlgorithm: req.keyAgreementAlgorithm, keyOrigin: enumValue(OriginType, key.key.origin) };
};
