import { KeySpec } from "../../../gen/kms/v1/types_pb.js";

/**
 * The key specs AWS KMS imports key material into (developer guide, "Requirements for imported
 * key material"): symmetric, HMAC, RSA and the four ECC curves it names. Absent, so refused:
 * ML-DSA ("Importing ML-DSA keys is not supported"), ECC_NIST_EDWARDS25519 (not listed) and SM2
 * (China Regions only).
 */
const importable: ReadonlySet<KeySpec> = new Set([
  KeySpec.SYMMETRIC_DEFAULT,
  KeySpec.HMAC_224,
  KeySpec.HMAC_256,
  KeySpec.HMAC_384,
  KeySpec.HMAC_512,
  KeySpec.RSA_2048,
  KeySpec.RSA_3072,
  KeySpec.RSA_4096,
  KeySpec.ECC_NIST_P256,
  KeySpec.ECC_NIST_P384,
  KeySpec.ECC_NIST_P521,
  KeySpec.ECC_SECG_P256K1,
]);

/** Whether a key of this spec can be created with Origin EXTERNAL and receive imported material. */
export function isImportableKeySpec(spec: KeySpec): boolean {
  return importable.has(spec);
}

/** Whether imported material of this spec is a PKCS#8 private key (rather than raw secret bytes). */
export function isAsymmetricImport(spec: KeySpec): boolean {
  return importable.has(spec) && spec !== KeySpec.SYMMETRIC_DEFAULT && !isHmacSpec(spec);
}

function isHmacSpec(spec: KeySpec): boolean {
  return spec === KeySpec.HMAC_224 || spec === KeySpec.HMAC_256 || spec === KeySpec.HMAC_384 || spec === KeySpec.HMAC_512;
}
