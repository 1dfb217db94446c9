import type { ImportedMaterialRecord, KeyRecord } from "./key-record.js";

/** The key materials associated with an imported key; an older record's one material reads as version 1. */
export function importedMaterialsOf(key: KeyRecord): readonly ImportedMaterialRecord[] {
  if (key.importedMaterials) return key.importedMaterials;
  if (key.importedMaterialFingerprint === undefined) return [];
  return [
    {
      version: 1,
      keyMaterialId: key.importedMaterialFingerprint,
      state: "CURRENT",
      imported: key.currentVersion > 0,
      expirationModel: key.expirationModel ?? "KEY_MATERIAL_DOES_NOT_EXPIRE",
      ...(key.validTo !== undefined ? { validTo: key.validTo } : {}),
    },
  ];
}

/**
 * Whether every material the key is bound to is here: the current one and the non-current ones
 * (which decrypt old ciphertexts), not one pending rotation. Always true of generated keys.
 */
export function hasAllMaterial(key: KeyRecord): boolean {
  if (key.origin !== "EXTERNAL") return true;
  const materials = importedMaterialsOf(key);
  return materials.some((m) => m.state === "CURRENT") && materials.every((m) => m.state === "PENDING_ROTATION" || m.imported);
}

/**
 * The key with these materials, in the one record form: the current material encrypts, and the
 * key waits in PendingImport while a material it is bound to is missing (a key pending deletion
 * stays so). When the last missing material comes back, a key that waited is Enabled again.
 */
export function withImportedMaterials(key: KeyRecord, materials: readonly ImportedMaterialRecord[]): KeyRecord {
  const { expirationModel: _model, validTo: _validTo, importedMaterialFingerprint: _fingerprint, publicKey: _publicKey, ...rest } = key;
  const current = materials.find((m) => m.state === "CURRENT");
  const updated: KeyRecord = {
    ...rest,
    ...(key.publicKey !== undefined && current?.imported ? { publicKey: key.publicKey } : {}),
    importedMaterials: materials,
    currentVersion: current?.version ?? 0,
    currentKeyMaterialId: current?.keyMaterialId ?? "",
  };
  if (key.keyState === "PendingDeletion" || key.keyState === "PendingReplicaDeletion") return updated;
  if (!hasAllMaterial(updated)) return { ...updated, keyState: "PendingImport" };
  return { ...updated, keyState: key.keyState === "PendingImport" ? "Enabled" : key.keyState };
}
