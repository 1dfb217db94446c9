import type { Logger } from "pino";
import type { AuditLog } from "../audit/audit-log.js";
import type { AuditEntry } from "../audit/audit-record.js";
import type { Clock } from "../context.js";
import { importedMaterialsOf } from "../domain/imported-materials.js";
import type { ImportedMaterialRecord, KeyRecord } from "../domain/key-record.js";
import { keyArn, type Region } from "../domain/region.js";
import type { IdentityStore } from "../identity/identity-store.js";
import type { Keyring, KeyringTransaction, ScheduledWork } from "../store/keyring.js";
import { copiesOf, withKeyLocks, type RegionalCopy } from "../services/multi-region/multi-region-keys.js";
import { deleteImportedMaterials, replicaCopies } from "../services/import/imported-keys.js";
import { DAY_MS, replicaKeyrings, rescheduleRotation, rotateKey } from "../services/rotation/key-rotation.js";

/** How many due entries one pass takes from each region (the rest wait for the next pass). */
const BATCH = 100;
/** How many expired sessions one store batch deletes. */
const SESSION_BATCH = 1000;

/** A pass over the due work of every region: what it did. */
export interface SchedulerPass {
  readonly deleted: number;
  readonly rotated: number;
}

/**
 * Does the time-driven work on keys: destroys keys whose deletion date has passed and rotates
 * keys whose rotation date has. It also sweeps expired sessions from the identity store. The work is read from the stored schedule, so a pass after a
 * restart does what fell due while the server was down. Each change is committed with an audit
 * record of its own, as the service's doing rather than a caller's.
 */
export class Scheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SchedulerPass> | undefined;

  constructor(
    private readonly regions: ReadonlyMap<string, Region>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly identities?: IdentityStore,
  ) {}

  /** Runs a pass now and then every intervalMs, until stop(). */
  start(intervalMs: number): void {
    void this.runDue();
    this.#timer = setInterval(() => void this.runDue(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass over everything due now; passes never overlap. */
  runDue(): Promise<SchedulerPass> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<SchedulerPass> {
    const done = { deleted: 0, rotated: 0 };
    if (this.identities) {
      try {
        // Batches until none is full (at most 20 a pass), so sweeping keeps up with a busy server.
        let swept = 0;
        for (let batch = 0; batch < 20; batch++) {
          const deleted = await this.identities.deleteExpiredSessions(this.clock(), SESSION_BATCH);
          swept += deleted;
          if (deleted < SESSION_BATCH) break;
        }
        if (swept > 0) this.logger.info({ sessions: swept }, "expired sessions swept");
      } catch (error) {
        this.logger.error({ err: error }, "sweeping expired sessions failed; they are swept on a later pass");
      }
    }
    for (const region of this.regions.values()) {
      for (const work of await region.keyring.dueWork(this.clock(), BATCH)) {
        try {
          const outcome = await this.#perform(region, work);
          if (outcome === "deleted") done.deleted++;
          if (outcome === "rotated") done.rotated++;
        } catch (error) {
          this.logger.error({ err: error, region: region.name, keyId: work.keyId, job: work.job }, "scheduled work failed; it stays due");
        }
      }
    }
    return done;
  }

  /** Does one entry's work under the key's lock, or just drops the entry when the key no longer calls for it. */
  async #perform(region: Region, work: ScheduledWork): Promise<Outcome> {
    const now = this.clock();
    const done: { outcome: Outcome; key?: KeyRecord } = { outcome: "dropped" };
    // Called with the staged writes once the work below has decided what it did.
    const commit = (operations: Parameters<AuditLog["append"]>[1]) => this.audit.append(auditEntry(region, work, done, now), operations).then(() => undefined);
    let replicas: readonly Keyring[] = [];
    let primary: RegionalCopy | undefined;
    // The other regions' keyrings this work writes to, read under the key's cross-region lock.
    const others = async () => {
      const known = await region.keyring.getKey(work.keyId);
      // A primary's rotation rotates its replicas; its pending material that expires goes from them too.
      replicas = work.job !== "delete" && known ? await replicaKeyrings(this.regions, known) : [];
      // A replica's deletion may be what its primary waits for (PendingReplicaDeletion).
      primary = work.job === "delete" && known?.multiRegionType === "REPLICA" ? (await copiesOf(this.regions, known)).find((c) => c.key.multiRegionType === "PRIMARY") : undefined;
      return [...replicas, ...(primary ? [primary.region.keyring] : [])];
    };
    await withKeyLocks(work.keyId, others, () => region.keyring.transaction([`key:${work.keyId}`], commit, async (tx) => {
      tx.unschedule(work);
      // Under the lock: a request may have cancelled or changed the work since it was scheduled.
      const key = await region.keyring.getKey(work.keyId);
      if (!key || !stillDue(key, work)) return;
      done.key = key;
      if (work.job === "delete") {
        await tx.destroyKey(key);
        if (primary) await this.#startPrimaryDeletion(tx, primary.region, key, now);
        done.outcome = "deleted";
        return;
      }
      if (work.job === "expire") {
        // Imported material that expires is deleted at valid_to; the key waits in PendingImport.
        tx.putKey(deleteImportedMaterials(tx, key, (m) => expiresAt(m, work.dueAt), await replicaCopies(key.keyId, replicas)));
        done.outcome = "expired";
        return;
      }
      const periodDays = key.rotation!.periodDays;
      if (key.keyState !== "Enabled") {
        // A key that is not Enabled is not rotated; it is looked at again a day later.
        rescheduleRotation(tx, key.keyId, undefined, now + DAY_MS);
        tx.putKey({ ...key, rotation: { enabled: true, periodDays, nextRotationDate: now + DAY_MS } });
        done.outcome = "postponed";
        return;
      }
      // One rotation, and the next date in the future (periods missed while down are not replayed).
      let nextRotationDate = work.dueAt + periodDays * DAY_MS;
      while (nextRotationDate <= now) nextRotationDate += periodDays * DAY_MS;
      rescheduleRotation(tx, key.keyId, undefined, nextRotationDate);
      tx.putKey({ ...(await rotateKey(tx, key, now, "AUTOMATIC", replicas)), rotation: { enabled: true, periodDays, nextRotationDate } });
      done.outcome = "rotated";
    }));
    if (done.outcome === "deleted") region.keyring.forgetMaterial(work.keyId);
    if (done.outcome === "expired") for (const keyring of [region.keyring, ...replicas]) keyring.forgetMaterial(work.keyId);
    if (done.outcome !== "dropped") this.logger.info({ region: region.name, keyId: work.keyId, job: work.job, outcome: done.outcome }, "scheduled work done");
    return done.outcome;
  }

  /** When the last replica of a primary waiting for them is destroyed, the primary's own deletion window starts. */
  async #startPrimaryDeletion(tx: KeyringTransaction, primaryRegion: Region, replica: KeyRecord, now: number): Promise<void> {
    const primary = await primaryRegion.keyring.getKey(replica.keyId);
    if (primary?.keyState !== "PendingReplicaDeletion") return;
    const remaining = (await copiesOf(this.regions, primary)).filter((c) => c.key.multiRegionType === "REPLICA" && c.region.name !== replica.region);
    if (remaining.length > 0) return;
    const deletionDate = now + (primary.pendingWindowInDays ?? 30) * DAY_MS;
    const there = tx.in(primaryRegion.keyring);
    there.schedule({ dueAt: deletionDate, keyId: primary.keyId, job: "delete" });
    there.putKey({ ...primary, keyState: "PendingDeletion", deletionDate });
  }
}

/** What a schedule entry came to. */
type Outcome = "deleted" | "rotated" | "expired" | "postponed" | "dropped";

/** Whether the key still calls for this entry's work (a cancelled deletion or changed rotation does not). */
function stillDue(key: KeyRecord, work: ScheduledWork): boolean {
  if (work.job === "delete") return key.keyState === "PendingDeletion" && key.deletionDate === work.dueAt;
  if (work.job === "rotate") return key.rotation?.enabled === true && key.rotation.nextRotationDate === work.dueAt;
  return importedMaterialsOf(key).some((m) => expiresAt(m, work.dueAt));
}

function expiresAt(material: ImportedMaterialRecord, dueAt: number): boolean {
  return material.imported && material.validTo === dueAt;
}

/** The audit record of work the service did on its own (or of a stale entry it dropped). */
function auditEntry(region: Region, work: ScheduledWork, done: { outcome: Outcome; key?: KeyRecord }, now: number): AuditEntry {
  const rpc = { delete: "DeleteKey", rotate: "RotateKey", expire: "DeleteImportedKeyMaterial" }[work.job];
  return {
    time: new Date(now).toISOString(),
    requestId: "",
    principal: "kms:scheduler",
    region: region.name,
    rpc: `kms.v1.KeyManagementService/${rpc}`,
    access: done.key ? [{ action: `kms:${rpc}`, resource: keyArn(region, done.key.accountId, done.key.keyId), decidedBy: [] }] : [],
    decision: "none",
    outcome: done.outcome === "postponed" || done.outcome === "dropped" ? done.outcome : "ok",
  };
}
