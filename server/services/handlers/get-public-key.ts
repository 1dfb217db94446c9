import { KeySpec, KeyUsage } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { requireEnabled } from "../../domain/key-state-rules.js";
import type { KmsHandlers } from "../handler-types.js";
import { algorithmsOf } from "../key-metadata.js";
import { publicKeyOf } from "../key-use.js";
import { enumValue } from "../proto-enum.js";
import { resolveKey } from "../resolve-key.js";

/** GetPublicKey: the public half of an asymmetric key as DER SubjectPublicKeyInfo; the private half never leaves. */
export const getPublicKey: KmsHandlers["getPublicKey"] = async (req, ctx) => {
  const key = await resolveKey(keyScope(ctx), req.keyId);
  requireEnabled(key.key, key.arn);
  const { encryptionAlgorithms, signingAlgorithms, keyAgreementAlgorithms, encapsulationAlgorithms } = algorithmsOf(key.key);
  return {
    keyId: key.arn,
    publicKey: publicKeyOf(key),
    keySpec: enumValue(KeySpec, key.key.keySpec),
    keyUsage: enumValue(KeyUsage, key.key.keyUsage),
    encryptionAlgorithms,
    signingAlgorithms,
    keyAgreementAlgorithms,
    encapsulationAlgorithms,
  };
};
