import { validationError } from "../../errors/kms-error.js";

const NAME = /^[\w+=,.@-]+$/;

/** Checks an IAM name (user, role, policy, session): AWS's character set and length. */
export function checkIamName(field: string, value: string, max: number, min = 1): void {
  if (value.length < min || value.length > max || !NAME.test(value)) {
    throw validationError(`${field} must be ${min}-${max} characters of letters, digits and +=,.@_-`);
  }
}
