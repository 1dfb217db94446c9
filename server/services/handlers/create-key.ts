import { auditCommit } from "../../audit/pending-audit.js";
import { randomBytes, randomUUID } from "node:crypto";
import { KeySpec, KeyUsage, OriginType } from "../../../gen/kms/v1/types_pb.js";
import { keyScope, now, requireServices } from "../../context.js";
import { defaultKeyPolicy } from "../../domain/default-key-policy.js";
import { allowedKeyUsages, resolveKeyUsage, unsupportedKeySpecs } from "../../domain/key-specs.js";
import type { KeyRecord } from "../../domain/key-record.js";
import { keyArn } from "../../domain/region.js";
import { checkTags } from "../../domain/tags.js";
import { checkDescription } from "../../domain/validation.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { toKeyMetadata } from "../key-metadata.js";
import { checkPolicyLockout } from "../lockout-check.js";
import { isImportableKeySpec } from "../../crypto/import/importable-key-specs.js";
import { generateKeyMaterial } from "../key-material.js";
import { multiRegionConfiguration, newMultiRegionKeyId } from "../multi-region/multi-region-keys.js";
import { checkPolicyDocument, principalIdsFor } from "../policy-document.js";
import { enumName } from "../proto-enum.js";

/** CreateKey: a new key of any supported spec, whose material is generated here and stored only wrapped. */
export const createKey: KmsHandlers["createKey"] = async (req, ctx) => {
  const { region, accountId } = keyScope(ctx);
  const spec = req.keySpec === KeySpec.UNSPECIFIED ? KeySpec.SYMMETRIC_DEFAULT : req.keySpec;
  const keySpec = enumName(KeySpec, spec, "key_spec");
  const unsupported = unsupportedKeySpecs.get(spec);
  if (unsupported !== undefined) throw new KmsError("UnsupportedOperationException", unsupported);
  const usage = resolveKeyUsage(spec, req.keyUsage);
  if (usage === undefined) {
    const allowed = allowedKeyUsages(spec).map((u) => KeyUsage[u]).join(" or ");
    throw validationError(`key_usage ${KeyUsage[req.keyUsage === KeyUsage.UNSPECIFIED ? KeyUsage.ENCRYPT_DECRYPT : req.keyUsage] ?? req.keyUsage} is not valid for key_spec ${keySpec}; use ${allowed}`);
  }
  const keyUsage = KeyUsage[usage];
  const origin = enumName(OriginType, req.origin === OriginType.UNSPECIFIED ? OriginType.AWS_KMS : req.origin, "origin");
  if (origin !== "AWS_KMS" && origin !== "EXTERNAL") throw new KmsError("UnsupportedOperationException", `origin ${origin} needs a custom key store, which this server does not have`);
  const external = origin === "EXTERNAL";
  if (external && !isImportableKeySpec(spec)) throw new KmsError("UnsupportedOperationException", `${keySpec} key material cannot be imported (AWS imports symmetric, HMAC, RSA and ECC keys)`);
  checkDescription(req.description);
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  checkTags(tags);
  const policy = req.policy === "" ? defaultKeyPolicy(region.partition, accountId) : checkPolicyDocument(req.policy, "key", requireServices(ctx).policies);

  const principalIds = req.policy === "" ? undefined : await principalIdsFor(policy, "key", requireServices(ctx));
  const keyId = req.multiRegion ? newMultiRegionKeyId() : randomUUID();
  // As in AWS, only a policy the caller supplies is checked; the default policy trusts the account.
  if (req.policy !== "") await checkPolicyLockout(ctx, policy, keyArn(region, accountId, keyId), accountId, req.bypassPolicyLockoutSafetyCheck);
  // An EXTERNAL key waits in PendingImport for ImportKeyMaterial; it has no material yet.
  const keyMaterialId = external ? "" : randomBytes(32).toString("hex");
  const { material, publicKey } = external ? { material: undefined, publicKey: undefined } : await generateKeyMaterial(spec);
  const created = now(ctx);
  const key: KeyRecord = {
    keyId,
    accountId,
    region: region.name,
    creationDate: created,
    description: req.description,
    keySpec,
    keyUsage,
    origin,
    keyManager: "CUSTOMER",
    keyState: external ? "PendingImport" : "Enabled",
    multiRegion: req.multiRegion,
    ...(req.multiRegion ? { multiRegionType: "PRIMARY" as const } : {}),
    currentVersion: external ? 0 : 1,
    currentKeyMaterialId: keyMaterialId,
    policy,
    ...(principalIds ? { policyPrincipalIds: principalIds } : {}),
    tags,
    ...(publicKey ? { publicKey: publicKey.toString("base64") } : {}),
  };
  try {
    await region.keyring.transaction([`key:${keyId}`], auditCommit(ctx), async (tx) => {
      tx.putKey(key);
      if (material) tx.putKeyVersion(keyId, 1, material, keyMaterialId, created);
    });
  } finally {
    material?.fill(0);
  }
  return { keyMetadata: toKeyMetadata(region, key, req.multiRegion ? multiRegionConfiguration(key, [{ region, key }]) : undefined) };
};
