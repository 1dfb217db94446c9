import { randomBytes } from "node:crypto";
import type { KeyRecord } from "../../domain/key-record.js";
import { KmsError } from "../../errors/kms-error.js";
import type { Region } from "../../domain/region.js";
import type { Keyring, KeyringTransaction } from "../../store/keyring.js";
import { copiesOf } from "../multi-region/multi-region-keys.js";

export const DAY_MS = 86_400_000;
/** AWS's bounds and default for rotation_period_in_days. */
export const ROTATION_PERIOD_DAYS = { min: 90, max: 2560, default: 365 } as const;
/** AWS allows this many on-demand rotations per key (25 since 2025; 10 before). */
export const MAX_ON_DEMAND_ROTATIONS = 25;

/**
 * Only symmetric encryption keys rotate, as in AWS: automatically only with key material generated
 * here, on demand (and so in ListKeyRotations) with imported material too (to new material
 * imported for it). A multi-Region key rotates through its primary.
 */
export function requireRotatable(key: KeyRecord, arn: string, how: "automatically" | "on demand" = "automatically"): void {
  requireRotatingKind(key, arn, how);
  if (key.multiRegionType === "REPLICA") throw new KmsError("UnsupportedOperationException", `${arn} is a multi-Region replica; rotation is managed on its primary key`);
}

/** The kind of key that rotates, replica or not (ListKeyRotations reads a replica's materials too). */
export function requireRotatingKind(key: KeyRecord, arn: string, how: "automatically" | "on demand"): void {
  const origins = how === "automatically" ? ["AWS_KMS"] : ["AWS_KMS", "EXTERNAL"];
  if (key.keySpec !== "SYMMETRIC_DEFAULT" || !origins.includes(key.origin)) {
    throw new KmsError("UnsupportedOperationException", `${arn} is a ${key.keySpec} key of origin ${key.origin}; only symmetric encryption keys with ${origins.join(" or ")} material rotate ${how}`);
  }
}

/**
 * Adds a new version of fresh material and makes it current for new ciphertexts; every older
 * version stays, so what it encrypted still decrypts (the ciphertext names its version). A
 * multi-Region primary's replicas get the same version in the same batch (the caller holds
 * their locks), so ciphertexts stay interchangeable across regions.
 */
export async function rotateKey(tx: KeyringTransaction, key: KeyRecord, now: number, rotationType: "AUTOMATIC" | "ON_DEMAND", replicas: readonly Keyring[] = []): Promise<KeyRecord> {
  const version = key.currentVersion + 1;
  const keyMaterialId = randomBytes(32).toString("hex");
  const material = randomBytes(32);
  try {
    tx.putKeyVersion(key.keyId, version, material, keyMaterialId, now, rotationType);
    for (const keyring of replicas) {
      const replica = await keyring.getKey(key.keyId);
      if (!replica) continue;
      const there = tx.in(keyring);
      there.putKeyVersion(key.keyId, version, material, keyMaterialId, now, rotationType);
      there.putKey({ ...replica, currentVersion: version, currentKeyMaterialId: keyMaterialId });
    }
  } finally {
    material.fill(0);
  }
  return { ...key, currentVersion: version, currentKeyMaterialId: keyMaterialId };
}

/**
 * The keyrings of a multi-Region primary's replicas (none for any other key). Pass the key as read
 * under its cross-region lock: from an older read, the list may hold the caller's own keyring.
 */
export async function replicaKeyrings(regions: ReadonlyMap<string, Region>, key: KeyRecord): Promise<Keyring[]> {
  if (key.multiRegionType !== "PRIMARY") return [];
  return (await copiesOf(regions, key)).filter((c) => c.key.multiRegionType === "REPLICA").map((c) => c.region.keyring);
}

/** Moves the automatic rotation's next date in the schedule (from `previous`, if scheduled, to `next`). */
export function rescheduleRotation(tx: KeyringTransaction, keyId: string, previous: number | undefined, next: number | undefined): void {
  if (previous !== undefined) tx.unschedule({ dueAt: previous, keyId, job: "rotate" });
  if (next !== undefined) tx.schedule({ dueAt: next, keyId, job: "rotate" });
}
