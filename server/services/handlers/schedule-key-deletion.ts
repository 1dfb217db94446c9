import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { KeyState } from "../../../gen/kms/v1/types_pb.js";
import { keyScope, now } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import { limits } from "../../domain/limits.js";
import { checkIntRange } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";

const DAY_MS = 86_400_000;

/**
 * ScheduleKeyDeletion: the key becomes PendingDeletion with a deletion date 7-30 days ahead
 * (30 by default). It refuses all cryptography until then, and CancelKeyDeletion can undo it;
 * at the date the scheduler destroys its material, aliases and grants for good.
 */
export const scheduleKeyDeletion: KmsHandlers["scheduleKeyDeletion"] = async (req, ctx) => {
  const window = req.pendingWindowInDays ?? limits.pendingWindowInDays.default;
  checkIntRange("pending_window_in_days", window, limits.pendingWindowInDays);
  const deletionDate = now(ctx) + window * DAY_MS;
  const { arn } = await updateKey(keyScope(ctx), req.keyId, (key, keyArn, tx) => {
    requireState(key, keyArn, ["Enabled", "Disabled", "PendingImport"]);
    // The scheduler destroys the key when the date passes, across restarts (the schedule is stored).
    tx.schedule({ dueAt: deletionDate, keyId: key.keyId, job: "delete" });
    return { ...key, keyState: "PendingDeletion", deletionDate, pendingWindowInDays: window };
  });
  return { keyId: arn, deletionDate: timestampFromMs(deletionDate), keyState: KeyState.PENDING_DELETION, pendingWindowInDays: window };
};
