import { createHmac } from "node:crypto";
import { importedMaterialsOf, withImportedMaterials } from "../../domain/imported-materials.js";
import type { ImportedMaterialRecord, KeyRecord } from "../../domain/key-record.js";
import { KmsError } from "../../errors/kms-error.js";
import type { Keyring, KeyringTransaction } from "../../store/keyring.js";

/** Import operations are for keys created with origin EXTERNAL. */
export function requireExternal(key: KeyRecord, arn: string): void {
  if (key.origin !== "EXTERNAL") throw new KmsError("UnsupportedOperationException", `${arn} has origin ${key.origin}; key material can be imported only into a key created with origin EXTERNAL`);
}

/** The keyed fingerprint of imported material (see ImportedMaterialRecord.keyMaterialId); also its key_material_id. */
export function materialFingerprint(fingerprintKey: Uint8Array, canonicalMaterial: Uint8Array): string {
  return createHmac("sha256", fingerprintKey).update(canonicalMaterial).digest("hex");
}

/**
 * Stages a key's new list of materials: material no longer imported is deleted from the keyring
 * (new material is put by the import itself), expiry dates are moved in the schedule (materials
 * expiring at the same moment share one entry), and the key record follows.
 */
export function stageImportedMaterials(tx: KeyringTransaction, key: KeyRecord, materials: readonly ImportedMaterialRecord[]): KeyRecord {
  const before = importedMaterialsOf(key);
  for (const old of before) {
    if (old.imported && !materials.some((m) => m.version === old.version && m.imported)) tx.deleteKeyVersion(key.keyId, old.version);
  }
  const dueDates = (list: readonly ImportedMaterialRecord[]) => new Set(list.flatMap((m) => (m.imported && m.validTo !== undefined ? [m.validTo] : [])));
  const was = dueDates(before);
  const is = dueDates(materials);
  for (const dueAt of was) if (!is.has(dueAt)) tx.unschedule({ dueAt, keyId: key.keyId, job: "expire" });
  for (const dueAt of is) if (!was.has(dueAt)) tx.schedule({ dueAt, keyId: key.keyId, job: "expire" });
  return withImportedMaterials(key, materials);
}

/** A replica's copy of a key, with the keyring to stage its changes in. */
export interface ReplicaCopy {
  readonly keyring: Keyring;
  readonly key: KeyRecord;
}

/** The replicas' copies of a key, read under their locks (withKeyLocks). */
export async function replicaCopies(keyId: string, replicas: readonly Keyring[]): Promise<ReplicaCopy[]> {
  const copies = await Promise.all(replicas.map(async (keyring) => ({ keyring, key: await keyring.getKey(keyId) })));
  return copies.filter((c): c is ReplicaCopy => c.key !== undefined);
}

/**
 * Stages a change of every replica's materials in the primary's batch, so a multi-Region key's
 * copies never disagree about which material is at which version.
 */
export function stageInReplicas(tx: KeyringTransaction, copies: readonly ReplicaCopy[], change: (materials: readonly ImportedMaterialRecord[]) => ImportedMaterialRecord[]): void {
  for (const { keyring, key } of copies) {
    const there = tx.in(keyring);
    there.putKey(stageImportedMaterials(there, key, change(importedMaterialsOf(key))));
  }
}

/**
 * Deletes imported materials, as DeleteImportedKeyMaterial and expiry do alike (AWS: expired
 * material is deleted). Material pending rotation is not yet the key's, so it is no longer
 * associated at all; from a multi-Region primary it goes from every replica too (their copies,
 * read under their locks, are staged in the same batch). A replica's pending copy, like any other
 * material, waits to be imported again (the key waits in PendingImport until it is): its primary
 * still holds it, and AWS leaves the primary and other replicas unchanged.
 */
export function deleteImportedMaterials(tx: KeyringTransaction, key: KeyRecord, which: (m: ImportedMaterialRecord) => boolean, replicas: readonly ReplicaCopy[]): KeyRecord {
  const disassociated = new Set<number>();
  const materials = importedMaterialsOf(key).flatMap((m) => {
    if (!which(m)) return [m];
    if (m.state === "PENDING_ROTATION" && key.multiRegionType !== "REPLICA") {
      disassociated.add(m.version);
      return [];
    }
    const { validTo: _validTo, ...rest } = m;
    return [{ ...rest, imported: false }];
  });
  if (disassociated.size > 0) stageInReplicas(tx, replicas, (theirs) => theirs.filter((m) => !disassociated.has(m.version)));
  return stageImportedMaterials(tx, key, materials);
}
