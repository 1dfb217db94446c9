import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { keyScope } from "../../context.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";

/**
 * GetKeyRotationStatus: whether automatic rotation is on, its period and the next date. As in AWS,
 * a key pending deletion reports rotation off; cancelling the deletion brings its status back.
 */
export const getKeyRotationStatus: KmsHandlers["getKeyRotationStatus"] = async (req, ctx) => {
  const { key, arn } = await resolveKeyByIdOrArn(keyScope(ctx), req.keyId);
  const rotation = key.keyState === "PendingDeletion" || key.keyState === "PendingReplicaDeletion" ? undefined : key.rotation;
  return {
    keyId: arn,
    keyRotationEnabled: rotation?.enabled ?? false,
    ...(rotation?.enabled ? { rotationPeriodInDays: rotation.periodDays } : {}),
    ...(rotation?.enabled && rotation.nextRotationDate !== undefined ? { nextRotationDate: timestampFromMs(rotation.nextRotationDate) } : {}),
  };
};
