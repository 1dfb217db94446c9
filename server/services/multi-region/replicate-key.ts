import { keyScope, now, requireServices } from "../../context.js";
import { defaultKeyPolicy } from "../../domain/default-key-policy.js";
import { importedMaterialsOf, withImportedMaterials } from "../../domain/imported-materials.js";
import type { KeyRecord } from "../../domain/key-record.js";
import { requireEnabled } from "../../domain/key-state-rules.js";
import { keyArn } from "../../domain/region.js";
import { checkTags } from "../../domain/tags.js";
import { checkDescription } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { toKeyMetadata } from "../key-metadata.js";
import { checkPolicyLockout } from "../lockout-check.js";
import { checkPolicyDocument, principalIdsFor } from "../policy-document.js";
import { loadKey } from "../resolve-key.js";
import { copiesOf, multiRegionConfiguration, otherRegion, withKeyLocks } from "./multi-region-keys.js";
import { ownKeyId } from "../update-key.js";

/**
 * ReplicateKey: a copy of a multi-Region primary key in another region of this server, with the
 * same id and every version of the same material (wrapped again for that region), and its own
 * policy, description and tags. Ciphertexts of either then decrypt with the other. A primary with
 * imported material gives its replica no material, as in AWS: the replica waits in PendingImport
 * for the very same material (the same key_material_ids), imported into it on its own.
 */
export const replicateKey: KmsHandlers["replicateKey"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const services = requireServices(ctx);
  const target = otherRegion(services.regions, req.replicaRegion, "replica_region", scope.region);
  checkDescription(req.description);
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  checkTags(tags);
  const id = ownKeyId(scope, req.keyId);
  const replicaArn = keyArn(target, id.accountId, id.keyId);
  const policy = req.policy === "" ? defaultKeyPolicy(target.partition, id.accountId) : checkPolicyDocument(req.policy, "key", services.policies);
  if (req.policy !== "") await checkPolicyLockout(ctx, policy, replicaArn, id.accountId, req.bypassPolicyLockoutSafetyCheck);
  const principalIds = req.policy === "" ? undefined : await principalIdsFor(policy, "key", services);

  const replica = await withKeyLocks(id.keyId, () => [target.keyring], () =>
    scope.region.keyring.transaction([`key:${id.keyId}`], scope.commit, async (tx) => {
      const { key: primary, arn } = await loadKey(scope, id);
      if (!primary.multiRegion || primary.multiRegionType !== "PRIMARY") {
        throw new KmsError("UnsupportedOperationException", `${arn} is not a multi-Region primary key; only a primary key can be replicated`);
      }
      const imported = primary.origin === "EXTERNAL";
      // A disabled primary is not replicated (DisabledException): a replica would be a usable copy of a key its owner turned off.
      if (!(imported && primary.keyState === "PendingImport")) requireEnabled(primary, arn);
      // Without material there is nothing to tell which material the replica must take.
      if (imported && importedMaterialsOf(primary).length === 0) throw new KmsError("KMSInvalidStateException", `${arn} has no key material yet: import it into the primary key before replicating it`);
      if (await target.keyring.getKey(primary.keyId)) throw new KmsError("AlreadyExistsException", `${replicaArn} already exists`);
      const there = tx.in(target.keyring);
      if (!imported) {
        for (const version of await scope.region.keyring.listVersions(primary.keyId)) {
          const open = (await scope.region.keyring.openKeyVersion(primary.keyId, version.version))!;
          there.putKeyVersion(primary.keyId, version.version, open.material, version.keyMaterialId, version.createdAt, version.rotationType);
        }
      }
      const { rotation: _rotation, onDemandRotations: _count, deletionDate: _date, pendingWindowInDays: _window, policyPrincipalIds: _ids, ...shared } = primary;
      const base: KeyRecord = { ...shared, region: target.name, creationDate: now(ctx), description: req.description, policy, ...(principalIds ? { policyPrincipalIds: principalIds } : {}), tags, multiRegionType: "REPLICA", keyState: primary.keyState };
      const copy = imported ? withImportedMaterials(base, importedMaterialsOf(primary).map(({ validTo: _validTo, ...m }) => ({ ...m, imported: false }))) : base;
      there.putKey(copy);
      return copy;
    }),
  );
  const copies = await copiesOf(services.regions, replica);
  return {
    replicaKeyMetadata: toKeyMetadata(target, replica, multiRegionConfiguration(replica, copies)),
    replicaPolicy: policy,
    replicaTags: tags.map((t) => ({ tagKey: t.key, tagValue: t.value })),
  };
};
