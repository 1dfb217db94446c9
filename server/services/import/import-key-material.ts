import { timingSafeEqual } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ExpirationModelType, ImportType, KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope, now, requireServices } from "../../context.js";
import { MAX_IMPORT_TOKEN_BYTES, openImportToken } from "../../crypto/import/import-token.js";
import { isAsymmetricImport } from "../../crypto/import/importable-key-specs.js";
import { canonicalImportedMaterial, checkImportedMaterial, publicKeyOfImported } from "../../crypto/import/material-check.js";
import { unwrapImportedMaterial } from "../../crypto/import/unwrap-key-material.js";
import { requireState } from "../../domain/key-state-rules.js";
import { checkByteLength } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { enumValue } from "../proto-enum.js";
import { DAY_MS } from "../rotation/key-rotation.js";
import { updateKey } from "../update-key.js";
import { materialFingerprint, requireExternal } from "./imported-keys.js";

/** AWS: valid_to is at most 365 days ahead. */
const MAX_VALIDITY_MS = 365 * DAY_MS;

/**
 * ImportKeyMaterial: unwraps material sealed to the wrapping key of an import token, checks it
 * fits the key spec and, for a key that had material before, that it is that same material
 * (IncorrectKeyMaterialException otherwise), and stores it wrapped like generated material. The
 * key becomes Enabled; with KEY_MATERIAL_EXPIRES the scheduler deletes the material at valid_to.
 */
export const importKeyMaterial: KmsHandlers["importKeyMaterial"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { importKeys } = requireServices(ctx);
  const at = now(ctx);
  checkByteLength("import_token", req.importToken, { min: 1, max: MAX_IMPORT_TOKEN_BYTES });
  checkByteLength("encrypted_key_material", req.encryptedKeyMaterial, { min: 1, max: 6144 });
  if (req.importType === ImportType.NEW_KEY_MATERIAL) throw new KmsError("UnsupportedOperationException", "rotation of imported key material (NEW_KEY_MATERIAL) is not supported by this server");
  const expires = req.expirationModel !== ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE;
  const validTo = req.validTo ? timestampMs(req.validTo) : undefined;
  if (expires && validTo === undefined) throw validationError("valid_to is required unless expiration_model is KEY_MATERIAL_DOES_NOT_EXPIRE");
  if (!expires && validTo !== undefined) throw validationError("valid_to must not be set when the material does not expire");
  if (validTo !== undefined && (validTo <= at || validTo > at + MAX_VALIDITY_MS)) throw validationError("valid_to must be in the future and at most 365 days ahead");

  const { arn, key } = await updateKey(scope, req.keyId, async (current, keyArn, tx) => {
    requireExternal(current, keyArn);
    requireState(current, keyArn, ["PendingImport", "Enabled", "Disabled"]);
    const token = openImportToken(importKeys.token, req.importToken, { region: scope.region.name, keyId: current.keyId }, at);
    const spec = enumValue(KeySpec, current.keySpec);
    let material: ReturnType<typeof unwrapImportedMaterial>;
    try {
      material = unwrapImportedMaterial(token.algorithm, token.wrappingPrivateKeyPkcs8Der, req.encryptedKeyMaterial);
    } finally {
      token.wrappingPrivateKeyPkcs8Der.fill(0);
    }
    if (!material) throw new KmsError("InvalidCiphertextException", "The encrypted key material cannot be unwrapped with the wrapping key of this import token.");
    try {
      const problem = checkImportedMaterial(spec, material);
      if (problem) throw validationError(problem);
      const canonical = canonicalImportedMaterial(spec, material);
      try {
        const fingerprint = materialFingerprint(importKeys.fingerprint, canonical);
        const known = current.importedMaterialFingerprint;
        if (known !== undefined && !timingSafeEqual(Buffer.from(known, "hex"), Buffer.from(fingerprint, "hex"))) {
          throw new KmsError("IncorrectKeyMaterialException", "A key takes only the key material first imported into it.");
        }
        if (current.currentVersion === 0) tx.putKeyVersion(current.keyId, 1, canonical, fingerprint, at);
        if (current.validTo !== undefined) tx.unschedule({ dueAt: current.validTo, keyId: current.keyId, job: "expire" });
        if (validTo !== undefined) tx.schedule({ dueAt: validTo, keyId: current.keyId, job: "expire" });
        const { validTo: _old, ...rest } = current;
        return {
          ...rest,
          keyState: current.keyState === "PendingImport" ? "Enabled" : current.keyState,
          currentVersion: 1,
          currentKeyMaterialId: fingerprint,
          importedMaterialFingerprint: fingerprint,
          expirationModel: expires ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE",
          ...(validTo !== undefined ? { validTo } : {}),
          ...(isAsymmetricImport(spec) ? { publicKey: publicKeyOfImported(spec, canonical).toString("base64") } : {}),
        };
      } finally {
        canonical.fill(0);
      }
    } finally {
      material.fill(0);
    }
  });
  return { keyId: arn, keyMaterialId: key.currentKeyMaterialId };
};
