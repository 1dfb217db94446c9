import { EncapsulationAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { encapsulationAlgorithmFits } from "../../domain/key-specs.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import type { ResolvedKey } from "../resolve-key.js";
import { specOf } from "../key-use.js";

/** Encapsulate and Decapsulate name their algorithm (ML_KEM), and it must be the key's. */
export function checkEncapsulationAlgorithm(algorithm: EncapsulationAlgorithmSpec, { key, arn }: ResolvedKey): void {
  if (algorithm === EncapsulationAlgorithmSpec.UNSPECIFIED) throw validationError("encapsulation_algorithm is required");
  if (!encapsulationAlgorithmFits(specOf(key), algorithm)) {
    throw new KmsError("InvalidKeyUsageException", `encapsulation_algorithm ${EncapsulationAlgorithmSpec[algorithm] ?? algorithm} is not supported by ${arn}`);
  }
}
