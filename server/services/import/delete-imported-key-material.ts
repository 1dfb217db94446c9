import { keyScope, requireServices } from "../../context.js";
import { importedMaterialsOf } from "../../domain/imported-materials.js";
import { requireState } from "../../domain/key-state-rules.js";
import { KmsError } from "../../errors/kms-error.js";
import type { Keyring } from "../../store/keyring.js";
import type { KmsHandlers } from "../handler-types.js";
import { withKeyLocks } from "../multi-region/multi-region-keys.js";
import { replicaKeyrings } from "../rotation/key-rotation.js";
import { ownKeyId, updateKey } from "../update-key.js";
import { deleteImportedMaterials, replicaCopies, requireExternal } from "./imported-keys.js";

/**
 * DeleteImportedKeyMaterial: deletes one material at once, the current one unless key_material_id
 * names another. A key missing a material it is bound to waits in PendingImport for that same
 * material. Material pending rotation is no longer associated at all; deleted from a
 * multi-Region primary, it goes from every replica too, as in AWS (in one batch, under their
 * locks), so other material can take its place.
 */
export const deleteImportedKeyMaterial: KmsHandlers["deleteImportedKeyMaterial"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const deleted: { keyMaterialId?: string; elsewhere: Keyring[] } = { elsewhere: [] };
  const keyId = ownKeyId(scope, req.keyId).keyId;
  const replicasNow = async () => {
    const key = await scope.region.keyring.getKey(keyId);
    return key?.origin === "EXTERNAL" ? replicaKeyrings(requireServices(ctx).regions, key) : [];
  };
  const { key: updated, arn } = await withKeyLocks(keyId, replicasNow, (replicas) =>
    updateKey(scope, req.keyId, async (key, keyArn, tx) => {
      requireExternal(key, keyArn);
      // As in AWS, also while pending deletion (the key stays so).
      requireState(key, keyArn, ["Enabled", "Disabled", "PendingImport", "PendingDeletion"]);
      const materials = importedMaterialsOf(key);
      const target = req.keyMaterialId === "" ? materials.find((m) => m.state === "CURRENT") : materials.find((m) => m.keyMaterialId === req.keyMaterialId);
      if (req.keyMaterialId !== "" && !target) throw new KmsError("NotFoundException", `${keyArn} has no key material ${req.keyMaterialId}`);
      deleted.keyMaterialId = target?.keyMaterialId ?? "";
      if (!target) return key;
      const copies = target.state === "PENDING_ROTATION" && key.multiRegionType === "PRIMARY" ? await replicaCopies(keyId, replicas) : [];
      deleted.elsewhere.push(...copies.map((c) => c.keyring));
      return deleteImportedMaterials(tx, key, (m) => m === target, copies);
    }),
  );
  // Deleted material does not stay in memory either.
  for (const keyring of [scope.region.keyring, ...deleted.elsewhere]) keyring.forgetMaterial(updated.keyId);
  return { keyId: arn, keyMaterialId: deleted.keyMaterialId ?? "" };
};
