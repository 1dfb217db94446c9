import { keyScope } from "../../context.js";
import { hasAllMaterial } from "../../domain/imported-materials.js";
import { requireState } from "../../domain/key-state-rules.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";

/**
 * CancelKeyDeletion: a key pending deletion comes back Disabled, as in AWS, so nobody is surprised
 * by it working again; an imported key missing material comes back PendingImport.
 */
export const cancelKeyDeletion: KmsHandlers["cancelKeyDeletion"] = async (req, ctx) => {
  const { arn } = await updateKey(keyScope(ctx), req.keyId, (key, keyArn, tx) => {
    requireState(key, keyArn, ["PendingDeletion", "PendingReplicaDeletion"]);
    if (key.deletionDate !== undefined) tx.unschedule({ dueAt: key.deletionDate, keyId: key.keyId, job: "delete" });
    const { deletionDate: _deletionDate, pendingWindowInDays: _window, ...rest } = key;
    return { ...rest, keyState: hasAllMaterial(key) ? "Disabled" : "PendingImport" };
  });
  return { keyId: arn };
};
