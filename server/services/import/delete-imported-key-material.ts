import { keyScope } from "../../context.js";
import { importedMaterialsOf } from "../../domain/imported-materials.js";
import { requireState } from "../../domain/key-state-rules.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";
import { deleteImportedMaterials, requireExternal } from "./imported-keys.js";

/**
 * DeleteImportedKeyMaterial: deletes one material at once, the current one unless key_material_id
 * names another. A key missing a material it is bound to waits in PendingImport for that same
 * material; material pending rotation is simply no longer associated.
 */
export const deleteImportedKeyMaterial: KmsHandlers["deleteImportedKeyMaterial"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const deleted: { keyMaterialId?: string } = {};
  const { key: updated, arn } = await updateKey(scope, req.keyId, async (key, keyArn, tx) => {
    requireExternal(key, keyArn);
    // As in AWS, also while pending deletion (the key stays so).
    requireState(key, keyArn, ["Enabled", "Disabled", "PendingImport", "PendingDeletion"]);
    const materials = importedMaterialsOf(key);
    const target = req.keyMaterialId === "" ? materials.find((m) => m.state === "CURRENT") : materials.find((m) => m.keyMaterialId === req.keyMaterialId);
    if (req.keyMaterialId !== "" && !target) throw new KmsError("NotFoundException", `${keyArn} has no key material ${req.keyMaterialId}`);
    deleted.keyMaterialId = target?.keyMaterialId ?? "";
    return target ? deleteImportedMaterials(tx, key, (m) => m === target) : key;
  });
  scope.region.keyring.forgetMaterial(updated.keyId);
  return { keyId: arn, keyMaterialId: deleted.keyMaterialId ?? "" };
};
