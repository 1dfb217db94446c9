import { timingSafeEqual } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ExpirationModelType, ImportType, KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { keyScope, now, requireServices } from "../../context.js";
import { MAX_IMPORT_TOKEN_BYTES, openImportToken } from "../../crypto/import/import-token.js";
import { isAsymmetricImport } from "../../crypto/import/importable-key-specs.js";
import { canonicalImportedMaterial, checkImportedMaterial, publicKeyOfImported } from "../../crypto/import/material-check.js";
import { unwrapImportedMaterial } from "../../crypto/import/unwrap-key-material.js";
import { importedMaterialsOf } from "../../domain/imported-materials.js";
import type { ImportedMaterialRecord } from "../../domain/key-record.js";
import { requireState } from "../../domain/key-state-rules.js";
import { checkByteLength } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { enumValue } from "../proto-enum.js";
import { withKeyLocks } from "../multi-region/multi-region-keys.js";
import { DAY_MS, replicaKeyrings } from "../rotation/key-rotation.js";
import { ownKeyId, updateKey } from "../update-key.js";
import { materialFingerprint, replicaCopies, requireExternal, stageImportedMaterials, stageInReplicas } from "./imported-keys.js";

/** AWS: valid_to is at most 365 days ahead. */
const MAX_VALIDITY_MS = 365 * DAY_MS;
/** AWS's pattern for key_material_description. */
const DESCRIPTION = /^[a-zA-Z0-9:/_\s.-]{1,256}$/;

/**
 * ImportKeyMaterial: unwraps material sealed to the wrapping key of an import token, checks it
 * fits the key spec, and stores it wrapped like generated material.
 * - The first material imported into a key becomes its current material for good.
 * - EXISTING_KEY_MATERIAL (the default) must bring material already associated with the key
 *   (IncorrectKeyMaterialException otherwise), e.g. after it was deleted or expired, or to change
 *   its expiry; a key_material_id given must be that material's.
 * - NEW_KEY_MATERIAL (symmetric encryption keys only) associates new material, PENDING_ROTATION
 *   until RotateKeyOnDemand makes it current; one at a time. For a multi-Region key it goes into
 *   the primary, which associates it with every replica too (in the same batch, under their
 *   locks); each replica then takes it as EXISTING_KEY_MATERIAL, and the primary rotates once all
 *   have it.
 * The key is Enabled once every material it is bound to is here; with KEY_MATERIAL_EXPIRES the
 * scheduler deletes a material at its valid_to.
 */
export const importKeyMaterial: KmsHandlers["importKeyMaterial"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { importKeys, regions } = requireServices(ctx);
  const at = now(ctx);
  checkByteLength("import_token", req.importToken, { min: 1, max: MAX_IMPORT_TOKEN_BYTES });
  checkByteLength("encrypted_key_material", req.encryptedKeyMaterial, { min: 1, max: 6144 });
  const isNew = req.importType === ImportType.NEW_KEY_MATERIAL;
  if (isNew && req.keyMaterialId !== "") throw validationError("key_material_id cannot be given with import_type NEW_KEY_MATERIAL");
  if (req.keyMaterialId !== "" && !/^[0-9a-f]{64}$/.test(req.keyMaterialId)) throw validationError("key_material_id must be 64 hexadecimal digits");
  if (req.keyMaterialDescription !== "" && !DESCRIPTION.test(req.keyMaterialDescription)) throw validationError("key_material_description must be 1-256 characters of letters, digits, spaces and :/_.-");
  const expires = req.expirationModel !== ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE;
  const validTo = req.validTo ? timestampMs(req.validTo) : undefined;
  if (expires && validTo === undefined) throw validationError("valid_to is required unless expiration_model is KEY_MATERIAL_DOES_NOT_EXPIRE");
  if (!expires && validTo !== undefined) throw validationError("valid_to must not be set when the material does not expire");
  if (validTo !== undefined && (validTo <= at || validTo > at + MAX_VALIDITY_MS)) throw validationError("valid_to must be in the future and at most 365 days ahead");
  const expiry = { expirationModel: expires ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE", ...(validTo !== undefined ? { validTo } : {}) } as const;

  const imported: { keyMaterialId?: string } = {};
  // A multi-Region primary's new material is associated with its replicas too: their locks first.
  const keyId = ownKeyId(scope, req.keyId).keyId;
  const replicasNow = async () => {
    if (!isNew) return [];
    const key = await scope.region.keyring.getKey(keyId);
    return key?.origin === "EXTERNAL" ? replicaKeyrings(regions, key) : [];
  };
  const { arn } = await withKeyLocks(keyId, replicasNow, (replicas) => updateKey(scope, req.keyId, async (current, keyArn, tx) => {
    requireExternal(current, keyArn);
    requireState(current, keyArn, ["PendingImport", "Enabled", "Disabled"]);
    const spec = enumValue(KeySpec, current.keySpec);
    const materials = importedMaterialsOf(current);
    if (isNew && current.multiRegionType === "REPLICA") {
      throw new KmsError("UnsupportedOperationException", `${keyArn} is a multi-Region replica: import new key material into its primary key, then this same material here`);
    }
    // The first import may say NEW_KEY_MATERIAL for any key; after it only symmetric keys take more.
    if (isNew && spec !== KeySpec.SYMMETRIC_DEFAULT && materials.length > 0) {
      throw new KmsError("UnsupportedOperationException", `${keyArn} is a ${current.keySpec} key; only symmetric encryption keys take new key material`);
    }
    const token = openImportToken(importKeys.token, req.importToken, { region: scope.region.name, keyId: current.keyId }, at);
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
        const keyMaterialId = materialFingerprint(importKeys.fingerprint, canonical);
        const known = materials.find((m) => sameId(m.keyMaterialId, keyMaterialId));
        if (req.keyMaterialId !== "" && !sameId(req.keyMaterialId, keyMaterialId)) throw new KmsError("IncorrectKeyMaterialException", `The key material imported is not the key material ${req.keyMaterialId}.`);
        const description = req.keyMaterialDescription !== "" ? { description: req.keyMaterialDescription } : {};
        let next: ImportedMaterialRecord[];
        if (materials.length === 0) {
          // The first material, whatever the import type: current for good.
          next = [{ version: 1, keyMaterialId, state: "CURRENT", imported: true, ...expiry, ...description }];
        } else if (isNew) {
          if (known) throw new KmsError("IncorrectKeyMaterialException", "This key material is already associated with the key; import it with import_type EXISTING_KEY_MATERIAL.");
          const pending = materials.find((m) => m.state === "PENDING_ROTATION");
          if (pending) throw new KmsError("KMSInvalidStateException", `${keyArn} already has key material pending rotation (${pending.keyMaterialId}); rotate to it with RotateKeyOnDemand or delete it with DeleteImportedKeyMaterial first.`);
          const version = Math.max(...materials.map((m) => m.version)) + 1;
          next = [...materials, { version, keyMaterialId, state: "PENDING_ROTATION", imported: true, ...expiry, ...description }];
          // Each replica is bound to it too, at the same version, and waits for it.
          const waiting: ImportedMaterialRecord = { version, keyMaterialId, state: "PENDING_ROTATION", imported: false, expirationModel: expiry.expirationModel, ...description };
          stageInReplicas(tx, await replicaCopies(keyId, replicas), (theirs) => [...theirs, waiting]);
        } else {
          if (!known) throw new KmsError("IncorrectKeyMaterialException", "This key material is not associated with the key: import new material with import_type NEW_KEY_MATERIAL.");
          next = materials.map((m) => (m === known ? { ...stripExpiry(m), imported: true, ...expiry, ...description } : m));
        }
        const version = next.find((m) => m.keyMaterialId === keyMaterialId)!.version;
        if (!materials.find((m) => m.version === version)?.imported) tx.putKeyVersion(current.keyId, version, canonical, keyMaterialId, at);
        imported.keyMaterialId = keyMaterialId;
        const publicKey = isAsymmetricImport(spec) ? { publicKey: publicKeyOfImported(spec, canonical).toString("base64") } : {};
        return stageImportedMaterials(tx, { ...current, ...publicKey }, next);
      } finally {
        canonical.fill(0);
      }
    } finally {
      material.fill(0);
    }
  }));
  return { keyId: arn, keyMaterialId: imported.keyMaterialId! };
};

/** Compares two key material ids (keyed fingerprints) in constant time. */
function sameId(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function stripExpiry(material: ImportedMaterialRecord): ImportedMaterialRecord {
  const { validTo: _validTo, ...rest } = material;
  return rest;
}
