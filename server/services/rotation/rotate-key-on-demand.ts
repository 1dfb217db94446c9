import { keyScope, now } from "../../context.js";
import { requireUsableForCrypto } from "../../domain/key-state-rules.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";
import { MAX_ON_DEMAND_ROTATIONS, requireRotatable, rotateKey } from "./key-rotation.js";

/**
 * RotateKeyOnDemand: a new version at once, at most 10 per key (LimitExceededException). The
 * rotation completes inside the request, under the key's lock, so no two overlap and the
 * ConflictException AWS gives while one is in progress cannot arise here.
 */
export const rotateKeyOnDemand: KmsHandlers["rotateKeyOnDemand"] = async (req, ctx) => {
  const at = now(ctx);
  const { arn } = await updateKey(keyScope(ctx), req.keyId, (key, keyArn, tx) => {
    requireRotatable(key, keyArn);
    requireUsableForCrypto(key, keyArn);
    const done = key.onDemandRotations ?? 0;
    if (done >= MAX_ON_DEMAND_ROTATIONS) throw new KmsError("LimitExceededException", `${keyArn} has had its ${MAX_ON_DEMAND_ROTATIONS} on-demand rotations`);
    return { ...rotateKey(tx, key, at, "ON_DEMAND"), onDemandRotations: done + 1 };
  });
  return { keyId: arn };
};
