import { DataKeySpec } from "../../../gen/kms/v1/types_pb.js";
import { limits } from "../../domain/limits.js";
import { checkIntRange } from "../../domain/validation.js";
import { validationError } from "../../errors/kms-error.js";
import { enumName } from "../proto-enum.js";

/** The length of a data key: from key_spec (AES_128, AES_256) or number_of_bytes (1-1024), exactly one of them. */
export function dataKeyLength(keySpec: DataKeySpec, numberOfBytes: number | undefined): number {
  const hasSpec = keySpec !== DataKeySpec.UNSPECIFIED;
  if (hasSpec === (numberOfBytes !== undefined)) throw validationError("give exactly one of key_spec and number_of_bytes");
  if (numberOfBytes !== undefined) {
    checkIntRange("number_of_bytes", numberOfBytes, limits.numberOfBytes);
    return numberOfBytes;
  }
  return enumName(DataKeySpec, keySpec, "key_spec") === "AES_128" ? 16 : 32;
}
