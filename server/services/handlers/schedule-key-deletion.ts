import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { KeyState } from "../../../gen/kms/v1/types_pb.js";
import { keyScope, now, requireServices } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import { limits } from "../../domain/limits.js";
import { checkIntRange } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { copiesOf } from "../multi-region/multi-region-keys.js";
import { DAY_MS } from "../rotation/key-rotation.js";
import { updateKey } from "../update-key.js";

/**
 * ScheduleKeyDeletion: the key becomes PendingDeletion with a deletion date 7-30 days ahead
 * (30 by default). It refuses all cryptography until then, and CancelKeyDeletion can undo it;
 * at the date the scheduler destroys its material, aliases and grants for good. A multi-Region
 * primary with replicas waits as PendingReplicaDeletion until they are gone; its window starts
 * then.
 */
export const scheduleKeyDeletion: KmsHandlers["scheduleKeyDeletion"] = async (req, ctx) => {
  const window = req.pendingWindowInDays ?? limits.pendingWindowInDays.default;
  checkIntRange("pending_window_in_days", window, limits.pendingWindowInDays);
  const deletionDate = now(ctx) + window * DAY_MS;
  const scope = keyScope(ctx);
  const { key, arn } = await updateKey(scope, req.keyId, async (current, keyArn, tx) => {
    requireState(current, keyArn, ["Enabled", "Disabled", "PendingImport"]);
    const hasReplicas = current.multiRegionType === "PRIMARY" && (await copiesOf(requireServices(ctx).regions, current)).some((c) => c.key.multiRegionType === "REPLICA");
    if (hasReplicas) return { ...current, keyState: "PendingReplicaDeletion", pendingWindowInDays: window };
    // The scheduler destroys the key when the date passes, across restarts (the schedule is stored).
    tx.schedule({ dueAt: deletionDate, keyId: current.keyId, job: "delete" });
    return { ...current, keyState: "PendingDeletion", deletionDate, pendingWindowInDays: window };
  });
  if (key.keyState === "PendingReplicaDeletion") return { keyId: arn, keyState: KeyState.PENDING_REPLICA_DELETION, pendingWindowInDays: window };
  return { keyId: arn, deletionDate: timestampFromMs(deletionDate), keyState: KeyState.PENDING_DELETION, pendingWindowInDays: window };
};
