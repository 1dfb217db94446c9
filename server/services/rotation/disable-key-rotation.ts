import { keyScope } from "../../context.js";
import { requireEnabled } from "../../domain/key-state-rules.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";
import { requireRotatable, rescheduleRotation } from "./key-rotation.js";

/** DisableKeyRotation: no more automatic rotations; the versions made so far all still decrypt. */
export const disableKeyRotation: KmsHandlers["disableKeyRotation"] = async (req, ctx) => {
  await updateKey(keyScope(ctx), req.keyId, (key, arn, tx) => {
    requireRotatable(key, arn);
    requireEnabled(key, arn);
    rescheduleRotation(tx, key.keyId, key.rotation?.enabled ? key.rotation.nextRotationDate : undefined, undefined);
    return { ...key, rotation: { enabled: false, periodDays: key.rotation?.periodDays ?? 365 } };
  });
  return {};
};
