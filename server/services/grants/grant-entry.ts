import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { GrantRecord } from "../../domain/key-record.js";
import { grantOperationValue } from "./grant-operations.js";

/** A stored grant as a GrantListEntry. */
export function toGrantListEntry(grant: GrantRecord) {
  return {
    keyId: grant.keyId,
    grantId: grant.grantId,
    name: grant.name,
    creationDate: timestampFromMs(grant.creationDate),
    granteePrincipal: grant.granteePrincipal,
    retiringPrincipal: grant.retiringPrincipal,
    issuingAccount: grant.issuingAccount,
    operations: grant.operations.map(grantOperationValue),
    ...(grant.constraints
      ? { constraints: { encryptionContextEquals: { ...grant.constraints.encryptionContextEquals }, encryptionContextSubset: { ...grant.constraints.encryptionContextSubset } } }
      : {}),
  };
}
