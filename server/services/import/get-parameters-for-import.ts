import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AlgorithmSpec, KeySpec, WrappingKeySpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope, now, requireServices } from "../../context.js";
import { IMPORT_TOKEN_VALIDITY_MS, sealImportToken } from "../../crypto/import/import-token.js";
import { wrappingAlgorithmFits } from "../../crypto/import/wrapping-algorithms.js";
import { generateWrappingKeyPair } from "../../crypto/import/wrapping-key.js";
import { requireState } from "../../domain/key-state-rules.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { enumValue } from "../proto-enum.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";
import { ownKeyId } from "../update-key.js";
import { requireExternal } from "./imported-keys.js";

/**
 * GetParametersForImport: a fresh RSA wrapping key pair for one import, valid 24 hours. The
 * public key goes to the caller; the private key travels only inside the import token, sealed
 * under a key derived from the root key and bound to this key and region, so nothing is stored.
 */
export const getParametersForImport: KmsHandlers["getParametersForImport"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  if (req.wrappingAlgorithm === AlgorithmSpec.UNSPECIFIED) throw validationError("wrapping_algorithm is required");
  if (req.wrappingKeySpec === WrappingKeySpec.UNSPECIFIED) throw validationError("wrapping_key_spec is required");
  ownKeyId(scope, req.keyId);
  const { key, arn } = await resolveKeyByIdOrArn(scope, req.keyId);
  requireExternal(key, arn);
  requireState(key, arn, ["PendingImport", "Enabled", "Disabled"]);
  const spec = enumValue(KeySpec, key.keySpec);
  if (!wrappingAlgorithmFits(req.wrappingAlgorithm, spec, req.wrappingKeySpec)) {
    throw validationError(`${AlgorithmSpec[req.wrappingAlgorithm]} with an ${WrappingKeySpec[req.wrappingKeySpec]} wrapping key cannot carry ${key.keySpec} key material (RSA private keys need RSA_AES_KEY_WRAP_*)`);
  }
  const pair = await generateWrappingKeyPair(req.wrappingKeySpec);
  const expiresAt = now(ctx) + IMPORT_TOKEN_VALIDITY_MS;
  const importToken = sealImportToken(requireServices(ctx).importKeys.token, {
    region: scope.region.name,
    keyId: key.keyId,
    wrappingPrivateKeyPkcs8Der: pair.privateKeyPkcs8Der,
    algorithm: req.wrappingAlgorithm,
    wrappingKeySpec: req.wrappingKeySpec,
    expiresAt,
  });
  pair.privateKeyPkcs8Der.fill(0);
  return { keyId: arn, importToken, publicKey: pair.publicKeySpkiDer, parametersValidTo: timestampFromMs(expiresAt) };
};
