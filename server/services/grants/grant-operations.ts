import { GrantOperation } from "../../../gen/kms/v1/types_pb.js";
import { grantOperationName } from "../../authorization/condition-context.js";
import { validationError } from "../../errors/kms-error.js";

/** The operations a grant may allow on a symmetric encryption key. */
const symmetricOperations = new Set(["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"]);

/** The AWS names of a grant's operations, checked against what the key can do. */
export function grantOperationNames(operations: readonly GrantOperation[], keyUsage: string): string[] {
  if (operations.length === 0) throw validationError("operations must name at least one operation");
  const names = operations.map((op) => {
    const local = GrantOperation[op];
    if (local === undefined || op === GrantOperation.UNSPECIFIED) throw validationError(`operations has an unknown value ${op}`);
    return grantOperationName(local);
  });
  for (const name of names) {
    if (keyUsage === "ENCRYPT_DECRYPT" && !symmetricOperations.has(name)) throw validationError(`a grant on an ENCRYPT_DECRYPT key cannot allow ${name}`);
  }
  return [...new Set(names)];
}

/** GrantOperation enum value for an AWS name, for responses. */
export function grantOperationValue(name: string): GrantOperation {
  const local = name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  return GrantOperation[local as keyof typeof GrantOperation];
}
