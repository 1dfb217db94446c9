import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { GrantRecord } from "../../domain/key-record.js";
import { keyArn, type Region } from "../../domain/region.js";
import { grantOperationValue } from "./grant-operations.js";

/** A stored grant as a GrantListEntry, with the key's ARN and the issuing account's root ARN, as AWS lists them. */
export function toGrantListEntry(region: Region, grant: GrantRecord, keyAccountId: string) {
  return {
    keyId: keyArn(region, keyAccountId, grant.keyId),
    grantId: grant.grantId,
    name: grant.name,
    creationDate: timestampFromMs(grant.creationDate),
    granteePrincipal: grant.granteePrincipal,
    retiringPrincipal: grant.retiringPrincipal,
    issuingAccount: `arn:${region.partition}:iam::${grant.issuingAccount}:root`,
    operations: grant.operations.map(grantOperationValue),
    ...(grant.constraints
      ? { constraints: { encryptionContextEquals: { ...grant.constraints.encryptionContextEquals }, encryptionContextSubset: { ...grant.constraints.encryptionContextSubset } } }
      : {}),
  };
}
