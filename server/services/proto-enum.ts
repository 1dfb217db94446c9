import { validationError } from "../errors/kms-error.js";

type ProtoEnum = Record<string, string | number>;

/**
 * The AWS name of a protobuf enum value: protobuf-es drops the enum prefix, so
 * KeySpec.SYMMETRIC_DEFAULT is named "SYMMETRIC_DEFAULT", as AWS spells it. Unknown numbers
 * (open enums) are a ValidationException.
 */
export function enumName(enumObject: ProtoEnum, value: number, field: string): string {
  const name = enumObject[value];
  if (typeof name !== "string" || name === "UNSPECIFIED") throw validationError(`${field} has an unknown value ${value}`);
  return name;
}

/** The enum value for an AWS name stored in a record. */
export function enumValue<E extends ProtoEnum>(enumObject: E, name: string): E[keyof E] {
  const value = enumObject[name];
  if (typeof value !== "number") throw new Error(`no enum value named ${name}`);
  return value as E[keyof E];
}
