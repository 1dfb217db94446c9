import { randomBytes } from "node:crypto";
import { limits } from "../../domain/limits.js";
import { checkIntRange, refuseRecipient } from "../../domain/validation.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";

/** GenerateRandom: 1-1024 bytes from the operating system's CSPRNG. */
export const generateRandom: KmsHandlers["generateRandom"] = async (req) => {
  if (req.numberOfBytes === undefined) throw validationError("number_of_bytes is required");
  checkIntRange("number_of_bytes", req.numberOfBytes, limits.numberOfBytes);
  refuseRecipient(req.recipient);
  return { plaintext: randomBytes(req.numberOfBytes) };
};
