import test from "ava";
import { hasAllMaterial, importedMaterialsOf, withImportedMaterials } from "../server/domain/imported-materials.js";
import type { ImportedMaterialRecord, KeyRecord } from "../server/domain/key-record.js";

const key: KeyRecord = {
  keyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
  accountId: "111122223333",
  region: "us-east-1",
  creationDate: 0,
  description: "",
  keySpec: "SYMMETRIC_DEFAULT",
  keyUsage: "ENCRYPT_DECRYPT",
  origin: "EXTERNAL",
  keyManager: "CUSTOMER",
  keyState: "PendingImport",
  multiRegion: false,
  currentVersion: 0,
  currentKeyMaterialId: "",
  policy: "{}",
  tags: [],
};
const A = "a".repeat(64);
const B = "b".repeat(64);
const material = (version: number, keyMaterialId: string, state: ImportedMaterialRecord["state"], imported = true): ImportedMaterialRecord => ({
  version,
  keyMaterialId,
  state,
  imported,
  expirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
});

test("a record of the one-material form reads as its version 1, imported while the key had a current version", (t) => {
  const legacy: KeyRecord = { ...key, keyState: "Enabled", currentVersion: 1, currentKeyMaterialId: A, importedMaterialFingerprint: A, expirationModel: "KEY_MATERIAL_EXPIRES", validTo: 5 };
  t.deepEqual(importedMaterialsOf(legacy), [{ version: 1, keyMaterialId: A, state: "CURRENT", imported: true, expirationModel: "KEY_MATERIAL_EXPIRES", validTo: 5 }]);
  t.false(importedMaterialsOf({ ...legacy, keyState: "PendingImport", currentVersion: 0, currentKeyMaterialId: "" })[0]!.imported);
  t.deepEqual(importedMaterialsOf(key), []);
  const rewritten = withImportedMaterials(legacy, importedMaterialsOf(legacy));
  t.is(rewritten.importedMaterialFingerprint, undefined, "written back in the list form only");
  t.is(rewritten.validTo, undefined);
  t.deepEqual(importedMaterialsOf(rewritten), importedMaterialsOf(legacy));
});

test("the key is usable only with every bound material imported; material pending rotation does not count", (t) => {
  const enabled = withImportedMaterials(key, [material(1, A, "CURRENT")]);
  t.like(enabled, { keyState: "Enabled", currentVersion: 1, currentKeyMaterialId: A });
  t.is(withImportedMaterials(enabled, [material(1, A, "CURRENT"), material(2, B, "PENDING_ROTATION")]).keyState, "Enabled");
  const rotated = withImportedMaterials(enabled, [material(1, A, "NON_CURRENT", false), material(2, B, "CURRENT")]);
  t.like(rotated, { keyState: "PendingImport", currentVersion: 2, currentKeyMaterialId: B }, "a missing non-current material stops the key");
  t.false(hasAllMaterial(rotated));
  t.is(withImportedMaterials({ ...rotated, keyState: "Disabled" }, [material(1, A, "NON_CURRENT"), material(2, B, "CURRENT")]).keyState, "Disabled", "a disabled key stays disabled");
  t.is(withImportedMaterials({ ...enabled, keyState: "PendingDeletion" }, [material(1, A, "CURRENT", false)]).keyState, "PendingDeletion", "expiry does not cancel a deletion");
  t.true(hasAllMaterial({ ...key, origin: "AWS_KMS" }));
});
