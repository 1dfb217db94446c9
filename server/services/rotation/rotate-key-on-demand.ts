import { keyScope, now, requireServices } from "../../context.js";
import { importedMaterialsOf } from "../../domain/imported-materials.js";
import type { ImportedMaterialRecord, KeyRecord } from "../../domain/key-record.js";
import { requireEnabled } from "../../domain/key-state-rules.js";
import { KmsError } from "../../errors/kms-error.js";
import type { Keyring, KeyringTransaction } from "../../store/keyring.js";
import type { KmsHandlers } from "../handler-types.js";
import { replicaCopies, stageImportedMaterials, stageInReplicas } from "../import/imported-keys.js";
import { withKeyLocks } from "../multi-region/multi-region-keys.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";
import { updateKey } from "../update-key.js";
import { MAX_ON_DEMAND_ROTATIONS, replicaKeyrings, requireRotatable, rotateKey } from "./key-rotation.js";

/**
 * RotateKeyOnDemand: a new version at once, at most 25 per key (LimitExceededException): fresh
 * material, or for imported material the material imported for it (PENDING_ROTATION). The
 * rotation completes inside the request, under the key's lock, so no two overlap and the
 * ConflictException AWS gives while one is in progress cannot arise here.
 */
export const rotateKeyOnDemand: KmsHandlers["rotateKeyOnDemand"] = async (req, ctx) => {
  const at = now(ctx);
  const scope = keyScope(ctx);
  const { key } = await resolveKeyByIdOrArn(scope, req.keyId);
  // The replicas are read afresh under the cross-region lock: an UpdatePrimaryRegion that ran
  // first may have made this copy a replica, and locking "its replicas" from the record read
  // before would lock this region's key twice and hang (the update below then refuses instead).
  const replicasNow = async () => {
    const current = await scope.region.keyring.getKey(key.keyId);
    return current ? replicaKeyrings(requireServices(ctx).regions, current) : [];
  };
  const { key: rotated } = await withKeyLocks(key.keyId, replicasNow, (replicas) =>
    updateKey(scope, req.keyId, async (current, keyArn, tx) => {
      requireRotatable(current, keyArn, "on demand");
      requireEnabled(current, keyArn);
      const done = current.onDemandRotations ?? 0;
      if (done >= MAX_ON_DEMAND_ROTATIONS) throw new KmsError("LimitExceededException", `${keyArn} has had its ${MAX_ON_DEMAND_ROTATIONS} on-demand rotations`);
      const rotated = current.origin === "EXTERNAL" ? await rotateToImported(tx, current, keyArn, at, replicas) : await rotateKey(tx, current, at, "ON_DEMAND", replicas);
      return { ...rotated, onDemandRotations: done + 1 };
    }),
  );
  // AWS answers with the key id here, not the ARN.
  return { keyId: rotated.keyId };
};

/**
 * Makes the material imported for rotation current; the current one goes on decrypting what it
 * encrypted. A multi-Region key rotates in every region at once (in one batch, under the
 * replicas' locks), and only once every region's copy holds the new material.
 */
async function rotateToImported(tx: KeyringTransaction, key: KeyRecord, arn: string, at: number, replicas: readonly Keyring[]): Promise<KeyRecord> {
  const pending = importedMaterialsOf(key).find((m) => m.state === "PENDING_ROTATION");
  if (!pending) throw new KmsError("KMSInvalidStateException", `${arn} has no key material pending rotation: import new material with ImportKeyMaterial and import_type NEW_KEY_MATERIAL first.`);
  const copies = await replicaCopies(key.keyId, replicas);
  const missing = [key, ...copies.map((c) => c.key)].filter((copy) => !importedMaterialsOf(copy).some((m) => m.version === pending.version && m.imported));
  if (missing.length > 0) {
    const where = missing.map((c) => (c.keyState === "PendingDeletion" ? `${c.region} (pending deletion: cancel it, or wait for it)` : c.region));
    throw new KmsError("KMSInvalidStateException", `${arn}: the key material pending rotation is not yet imported in ${where.join(", ")}; import it there first.`);
  }
  const rotate = (materials: readonly ImportedMaterialRecord[]) =>
    materials.map((m) => (m.state === "PENDING_ROTATION" ? { ...m, state: "CURRENT" as const, rotationDate: at } : m.state === "CURRENT" ? { ...m, state: "NON_CURRENT" as const } : m));
  stageInReplicas(tx, copies, rotate);
  return stageImportedMaterials(tx, key, rotate(importedMaterialsOf(key)));
}
