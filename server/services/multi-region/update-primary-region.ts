import { keyScope, requireServices } from "../../context.js";
import { requireEnabled } from "../../domain/key-state-rules.js";
import { keyArn } from "../../domain/region.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { loadKey } from "../resolve-key.js";
import { otherRegion, withKeyLocks } from "./multi-region-keys.js";
import { ownKeyId } from "../update-key.js";

/**
 * UpdatePrimaryRegion: the replica in primary_region becomes the primary and this region's
 * primary a replica, in one atomic change. Automatic rotation moves with the primary role.
 */
export const updatePrimaryRegion: KmsHandlers["updatePrimaryRegion"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const services = requireServices(ctx);
  const target = otherRegion(services.regions, req.primaryRegion, "primary_region", scope.region);
  const id = ownKeyId(scope, req.keyId);
  await withKeyLocks(id.keyId, () => [target.keyring], () =>
    scope.region.keyring.transaction([`key:${id.keyId}`], scope.commit, async (tx) => {
      const { key: primary, arn } = await loadKey(scope, id);
      if (!primary.multiRegion || primary.multiRegionType !== "PRIMARY") throw new KmsError("UnsupportedOperationException", `${arn} is not a multi-Region primary key`);
      // As AWS says, both must be Enabled when the operation starts.
      requireEnabled(primary, arn);
      const replica = await target.keyring.getKey(primary.keyId);
      if (!replica || replica.accountId !== primary.accountId) throw new KmsError("NotFoundException", `${arn} has no replica in ${target.name}`);
      requireEnabled(replica, keyArn(target, replica.accountId, replica.keyId));
      const { rotation, onDemandRotations, ...demoted } = primary;
      tx.putKey({ ...demoted, multiRegionType: "REPLICA" });
      if (rotation?.enabled && rotation.nextRotationDate !== undefined) {
        tx.unschedule({ dueAt: rotation.nextRotationDate, keyId: primary.keyId, job: "rotate" });
        tx.in(target.keyring).schedule({ dueAt: rotation.nextRotationDate, keyId: primary.keyId, job: "rotate" });
      }
      tx.in(target.keyring).putKey({ ...replica, multiRegionType: "PRIMARY", ...(rotation ? { rotation } : {}), ...(onDemandRotations !== undefined ? { onDemandRotations } : {}) });
    }),
  );
  return {};
};
