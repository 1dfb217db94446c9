import { KmsError } from "../errors/kms-error.js";
import { limits } from "./limits.js";

const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]+$/;

/** Checks an alias name: "alias/" prefix, [A-Za-z0-9/_-], at most 256 characters. */
export function checkAliasName(aliasName: string): void {
  if (aliasName === "") throw new KmsError("ValidationException", "alias_name is required");
  if (aliasName.length > limits.aliasNameChars || !ALIAS_NAME.test(aliasName)) {
    throw new KmsError(
      "InvalidAliasNameException",
      `alias_name must start with "alias/" and have 1-${limits.aliasNameChars - 6} more characters of [A-Za-z0-9/_-]`,
    );
  }
}

/** Refuses the names reserved for service-managed keys. */
export function checkAliasNameNotReserved(aliasName: string): void {
  if (aliasName.startsWith("alias/aws/")) {
    throw new KmsError("InvalidAliasNameException", `alias names beginning with "alias/aws/" are reserved for service-managed keys`);
  }
}
