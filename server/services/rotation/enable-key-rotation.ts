import { keyScope, now } from "../../context.js";
import { requireEnabled } from "../../domain/key-state-rules.js";
import { checkIntRange } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";
import { DAY_MS, requireRotatable, rescheduleRotation, ROTATION_PERIOD_DAYS } from "./key-rotation.js";

/**
 * EnableKeyRotation: the key rotates every rotation_period_in_days (90-2560, default 365) from
 * now; enabling it again with another period restarts the count from now.
 */
export const enableKeyRotation: KmsHandlers["enableKeyRotation"] = async (req, ctx) => {
  const periodDays = req.rotationPeriodInDays ?? ROTATION_PERIOD_DAYS.default;
  checkIntRange("rotation_period_in_days", periodDays, ROTATION_PERIOD_DAYS);
  const at = now(ctx);
  await updateKey(keyScope(ctx), req.keyId, (key, arn, tx) => {
    requireRotatable(key, arn);
    requireEnabled(key, arn);
    const nextRotationDate = at + periodDays * DAY_MS;
    rescheduleRotation(tx, key.keyId, key.rotation?.enabled ? key.rotation.nextRotationDate : undefined, nextRotationDate);
    return { ...key, rotation: { enabled: true, periodDays, nextRotationDate } };
  });
  return {};
};
