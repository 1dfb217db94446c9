import { keyScope } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";
import { deleteImportedMaterial, requireExternal } from "./imported-keys.js";

/** DeleteImportedKeyMaterial: the material is deleted at once and the key waits in PendingImport for the same material. */
export const deleteImportedKeyMaterial: KmsHandlers["deleteImportedKeyMaterial"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const previous: { keyMaterialId?: string } = {};
  const { key: updated, arn } = await updateKey(scope, req.keyId, async (key, keyArn, tx) => {
    requireExternal(key, keyArn);
    requireState(key, keyArn, ["Enabled", "Disabled", "PendingImport"]);
    previous.keyMaterialId = key.currentKeyMaterialId;
    return deleteImportedMaterial(tx, key);
  });
  scope.region.keyring.forgetMaterial(updated.keyId);
  return { keyId: arn, keyMaterialId: previous.keyMaterialId ?? "" };
};
