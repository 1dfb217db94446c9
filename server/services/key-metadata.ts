import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ExpirationModelType,
  KeyManagerType,
  KeyMetadataSchema,
  KeySpec,
  KeyState,
  KeyUsage,
  OriginType,
} from "../../gen/kms/v1/types_pb.js";
import { importedMaterialsOf } from "../domain/imported-materials.js";
import type { KeyRecord } from "../domain/key-record.js";
import { keyAlgorithms } from "../domain/key-specs.js";
import { keyArn, type Region } from "../domain/region.js";
import { enumValue } from "./proto-enum.js";

/** The algorithms a stored key supports, as DescribeKey and GetPublicKey report them. */
export function algorithmsOf(key: KeyRecord) {
  const lists = keyAlgorithms(enumValue(KeySpec, key.keySpec), enumValue(KeyUsage, key.keyUsage));
  return {
    encryptionAlgorithms: [...lists.encryptionAlgorithms],
    signingAlgorithms: [...lists.signingAlgorithms],
    macAlgorithms: [...lists.macAlgorithms],
    keyAgreementAlgorithms: [...lists.keyAgreementAlgorithms],
    encapsulationAlgorithms: [...lists.encapsulationAlgorithms],
  };
}

/** KeyMetadata for a stored key; never contains key material. */
export function toKeyMetadata(
  region: Region,
  key: KeyRecord,
  multiRegionConfiguration?: MessageInitShape<typeof KeyMetadataSchema>["multiRegionConfiguration"],
): MessageInitShape<typeof KeyMetadataSchema> {
  return {
    awsAccountId: key.accountId,
    keyId: key.keyId,
    arn: keyArn(region, key.accountId, key.keyId),
    creationDate: timestampFromMs(key.creationDate),
    enabled: key.keyState === "Enabled",
    description: key.description,
    keyUsage: enumValue(KeyUsage, key.keyUsage),
    keyState: enumValue(KeyState, screamingSnake(key.keyState)),
    ...(key.deletionDate !== undefined ? { deletionDate: timestampFromMs(key.deletionDate) } : {}),
    origin: enumValue(OriginType, key.origin),
    ...boundMaterialExpiry(key),
    keyManager: enumValue(KeyManagerType, key.keyManager),
    keySpec: enumValue(KeySpec, key.keySpec),
    ...algorithmsOf(key),
    multiRegion: key.multiRegion,
    ...(multiRegionConfiguration ? { multiRegionConfiguration } : {}),
    ...(key.pendingWindowInDays !== undefined ? { pendingDeletionWindowInDays: key.pendingWindowInDays } : {}),
    currentKeyMaterialId: key.currentKeyMaterialId,
  };
}

/**
 * For imported keys, as AWS reports it: whether any material bound to the key (current or not;
 * not one pending rotation) expires, and the earliest valid_to, when the key stops working.
 */
function boundMaterialExpiry(key: KeyRecord): Pick<MessageInitShape<typeof KeyMetadataSchema>, "expirationModel" | "validTo"> {
  const bound = importedMaterialsOf(key).filter((m) => m.state !== "PENDING_ROTATION" && m.imported);
  if (bound.length === 0) return {};
  const expiring = bound.flatMap((m) => (m.validTo !== undefined ? [m.validTo] : []));
  if (expiring.length === 0) return { expirationModel: ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE };
  return { expirationModel: ExpirationModelType.KEY_MATERIAL_EXPIRES, validTo: timestampFromMs(Math.min(...expiring)) };
}

/** "PendingDeletion" -> "PENDING_DELETION". */
function screamingSnake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
