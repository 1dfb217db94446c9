import { validationError } from "../../errors/kms-error.js";

const NAME = /^[\w+=,.@-]+$/;

/**
 * The lock of a user or role. IAM names are unique whatever their case, and are found so, so the
 * lock is too: two spellings of one name must not run at once (a second user, a third access key,
 * an access key or policy left behind by a concurrent delete).
 */
export function identityLock(kind: "user" | "role", accountId: string, name: string): string {
  return `${kind}:${accountId}/${name.toLowerCase()}`;
}

/** Whether a value could be an IAM name (user, role, policy, session): AWS's character set and length. */
export function isIamName(value: string, max: number, min = 1): boolean {
  return value.length >= min && value.length <= max && NAME.test(value);
}

/** Checks an IAM name (user, role, policy, session): AWS's character set and length. */
export function checkIamName(field: string, value: string, max: number, min = 1): void {
  if (!isIamName(value, max, min)) {
    throw validationError(`${field} must be ${min}-${max} characters of letters, digits and +=,.@_-`);
  }
}
