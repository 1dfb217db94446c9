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
    ...currentMaterialExpiry(key),
    keyManager: enumValue(KeyManagerType, key.keyManager),
    keySpec: enumValue(KeySpec, key.keySpec),
    ...algorithmsOf(key),
    multiRegion: key.multiRegion,
    ...(multiRegionConfiguration ? { multiRegionConfiguration } : {}),
    ...(key.pendingWindowInDays !== undefined ? { pendingDeletionWindowInDays: key.pendingWindowInDays } : {}),
    currentKeyMaterialId: key.currentKeyMaterialId,
  };
}

/** For imported keys: whether the current material, while imported, expires and when. */
function currentMaterialExpiry(key: KeyRecord): Pick<MessageInitShape<typeof KeyMetadataSchema>, "expirationModel" | "validTo"> {
  const current = importedMaterialsOf(key).find((m) => m.state === "CURRENT" && m.imported);
  if (!current) return {};
  return { expirationModel: enumValue(ExpirationModelType, current.expirationModel), ...(current.validTo !== undefined ? { validTo: timestampFromMs(current.validTo) } : {}) };
}

/** "PendingDeletion" -> "PENDING_DELETION". */
function screamingSnake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
