import { GrantOperation } from "../../../gen/kms/v1/types_pb.js";
import { grantOperationName } from "../../authorization/condition-context.js";
import { validationError } from "../../errors/kms-error.js";

/** Operations a grant may allow on any key. */
const everyKey = ["CreateGrant", "RetireGrant", "DescribeKey"];

/** The operations a grant may allow, by the kind of key (as AWS restricts them). */
const operationsByKind: Readonly<Record<string, ReadonlySet<string>>> = {
  symmetric: new Set([...everyKey, "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"]),
  ENCRYPT_DECRYPT: new Set([...everyKey, "Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"]),
  SIGN_VERIFY: new Set([...everyKey, "Sign", "Verify", "GetPublicKey"]),
  GENERATE_VERIFY_MAC: new Set([...everyKey, "GenerateMac", "VerifyMac"]),
  KEY_AGREEMENT: new Set([...everyKey, "DeriveSharedSecret", "GetPublicKey"]),
  ENCAPSULATE_DECAPSULATE: new Set([...everyKey, "Encapsulate", "Decapsulate", "GetPublicKey"]),
};

/** The AWS names of a grant's operations, checked against what the key can do (ValidationException otherwise). */
export function grantOperationNames(operations: readonly GrantOperation[], key: { keySpec: string; keyUsage: string }): string[] {
  if (operations.length === 0) throw validationError("operations must name at least one operation");
  const names = operations.map((op) => {
    const local = GrantOperation[op];
    if (local === undefined || op === GrantOperation.UNSPECIFIED) throw validationError(`operations has an unknown value ${op}`);
    return grantOperationName(local);
  });
  const allowed = operationsByKind[key.keySpec === "SYMMETRIC_DEFAULT" ? "symmetric" : key.keyUsage];
  for (const name of names) {
    if (!allowed?.has(name)) throw validationError(`a grant on a ${key.keySpec} key with usage ${key.keyUsage} cannot allow ${name}`);
  }
  return [...new Set(names)];
}

/** GrantOperation enum value for an AWS name, for responses. */
export function grantOperationValue(name: string): GrantOperation {
  const local = name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  return GrantOperation[local as keyof typeof GrantOperation];
}
