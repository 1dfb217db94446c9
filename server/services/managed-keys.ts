import { randomBytes, randomUUID } from "node:crypto";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../context.js";
import type { KeyRecord } from "../domain/key-record.js";
import { managedKeyPolicy } from "../domain/managed-key-policy.js";
import { keyArn, type Region } from "../domain/region.js";
import { DAY_MS, ROTATION_PERIOD_DAYS } from "./rotation/key-rotation.js";

/** The reserved alias of an AWS managed key: alias/aws/<service>. */
const MANAGED_ALIAS = /^alias\/aws\/([a-z0-9-]{1,64})$/;

/** Creates an account's AWS managed key on first use of its alias; what resolving an alias calls. */
export type ManagedKeyFactory = (aliasName: string) => Promise<void>;

/**
 * The factory for one region and account: the first use of alias/aws/<service>, for a service
 * configured in KMS_SERVICE_PRINCIPALS, creates the
 * account's managed key for that service (key manager AWS, the fixed policy of managedKeyPolicy,
 * yearly rotation) and its alias, with an audit record of the service's own. Idempotent under
 * the alias lock: concurrent first uses make one key.
 */
export function managedKeyFactory(deps: { region: Region; accountId: string; audit: AuditLog; clock: Clock; servicePrincipals: ReadonlyMap<string, string> }): ManagedKeyFactory {
  const { region, accountId, audit, clock } = deps;
  return async (aliasName) => {
    const service = MANAGED_ALIAS.exec(aliasName)?.[1];
    // Only for an integrated service of this server: otherwise anyone, allowed nothing, could make
    // keys by naming aliases (resolution comes before the access decision).
    if (service === undefined || ![...deps.servicePrincipals.values()].includes(service)) return;
    const keyId = randomUUID();
    const now = clock();
    const arn = keyArn(region, accountId, keyId);
    const commit = (operations: Parameters<AuditLog["append"]>[1]) =>
      audit
        .append(
          {
            time: new Date(now).toISOString(),
            requestId: "",
            principal: "kms:managed-keys",
            region: region.name,
            rpc: "kms.v1.KeyManagementService/CreateKey",
            access: [{ action: "kms:CreateKey", resource: arn, decidedBy: [] }],
            decision: "none",
            outcome: "ok",
          },
          operations,
        )
        .then(() => undefined);
    await region.keyring.transaction([`alias:${accountId}/${aliasName}`, `key:${keyId}`], commit, async (tx) => {
      if (await region.keyring.getAlias(accountId, aliasName)) return;
      const keyMaterialId = randomBytes(32).toString("hex");
      const nextRotationDate = now + ROTATION_PERIOD_DAYS.default * DAY_MS;
      const key: KeyRecord = {
        keyId,
        accountId,
        region: region.name,
        creationDate: now,
        description: `Default key that protects my ${service} resources when no other key is defined`,
        keySpec: "SYMMETRIC_DEFAULT",
        keyUsage: "ENCRYPT_DECRYPT",
        origin: "AWS_KMS",
        keyManager: "AWS",
        keyState: "Enabled",
        multiRegion: false,
        currentVersion: 1,
        currentKeyMaterialId: keyMaterialId,
        policy: managedKeyPolicy(region.partition, accountId, region.name, service),
        tags: [],
        rotation: { enabled: true, periodDays: ROTATION_PERIOD_DAYS.default, nextRotationDate },
      };
      const material = randomBytes(32);
      try {
        tx.putKey(key);
        tx.putKeyVersion(keyId, 1, material, keyMaterialId, now);
      } finally {
        material.fill(0);
      }
      tx.schedule({ dueAt: nextRotationDate, keyId, job: "rotate" });
      tx.putAlias({ accountId, aliasName, targetKeyId: keyId, creationDate: now, lastUpdatedDate: now });
    });
  };
}
