import { AlgorithmSpec, KeySpec, WrappingKeySpec } from "../../../gen/kms/v1/types_pb.js";
import { rsaModulusBytes } from "../../domain/key-specs.js";
import { KmsError } from "../../errors/kms-error.js";
import { isImportableKeySpec } from "./importable-key-specs.js";

/** How a wrapping algorithm protects material: RSA-OAEP's hash (MGF1 uses the same), and whether an AES-KWP layer sits under it. */
export interface WrappingScheme {
  readonly oaepHash: "sha1" | "sha256";
  readonly aesKeyWrap: boolean;
}

const schemes: ReadonlyMap<AlgorithmSpec, WrappingScheme> = new Map([
  [AlgorithmSpec.RSAES_OAEP_SHA_1, { oaepHash: "sha1", aesKeyWrap: false }],
  [AlgorithmSpec.RSAES_OAEP_SHA_256, { oaepHash: "sha256", aesKeyWrap: false }],
  [AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_1, { oaepHash: "sha1", aesKeyWrap: true }],
  [AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_256, { oaepHash: "sha256", aesKeyWrap: true }],
]);

/**
 * The scheme of a wrapping algorithm, or the KmsError AWS gives: RSAES_PKCS1_V1_5 has been
 * refused for imports since October 10, 2023 (a padding-oracle risk), SM2PKE exists only in
 * China Regions.
 */
export function wrappingScheme(algorithm: AlgorithmSpec): WrappingScheme {
  const scheme = schemes.get(algorithm);
  if (scheme) return scheme;
  if (algorithm === AlgorithmSpec.RSAES_PKCS1_V1_5) {
    throw new KmsError("ValidationException", "The RSAES_PKCS1_V1_5 wrapping algorithm is deprecated and no longer supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256");
  }
  if (algorithm === AlgorithmSpec.SM2PKE) throw new KmsError("UnsupportedOperationException", "The SM2PKE wrapping algorithm is offered only in AWS China Regions; this server does not support it");
  throw new KmsError("ValidationException", `WrappingAlgorithm ${AlgorithmSpec[algorithm] ?? algorithm} is not valid`);
}

/**
 * Whether material of the key spec may be imported with the wrapping algorithm (AWS
 * GetParametersForImport): RSA_AES_KEY_WRAP_* takes every importable spec; RSAES_OAEP_* takes
 * everything but RSA private keys (too large for one OAEP block), and not ECC_NIST_P521 under an
 * RSA_2048 wrapping key (241 bytes of PKCS#8 over the 214 / 190-byte OAEP limit). Pass the
 * wrapping key spec to check that last rule; refused algorithms (PKCS#1 v1.5, SM2PKE) never fit.
 */
export function wrappingAlgorithmFits(algorithm: AlgorithmSpec, keySpec: KeySpec, wrappingKeySpec?: WrappingKeySpec): boolean {
  const scheme = schemes.get(algorithm);
  if (!scheme || !isImportableKeySpec(keySpec)) return false;
  if (scheme.aesKeyWrap) return true;
  if (rsaModulusBytes.has(keySpec)) return false;
  return !(keySpec === KeySpec.ECC_NIST_P521 && wrappingKeySpec === WrappingKeySpec.RSA_2048);
}
