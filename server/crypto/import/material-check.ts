import { createPrivateKey } from "node:crypto";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { hmacKeyBytes } from "../../domain/key-specs.js";
import { derivePublicKey } from "../asymmetric/key-generation.js";
import { isAsymmetricImport, isImportableKeySpec } from "./importable-key-specs.js";
import { parseImportedPrivateKey } from "./imported-private-key.js";

export { isImportableKeySpec } from "./importable-key-specs.js";

/** SYMMETRIC_DEFAULT material is exactly 256 bits (128 only in China Regions, which this server is not). */
export const SYMMETRIC_IMPORT_BYTES = 32;
/** AWS: HMAC key material is at least the key spec's length and at most 1024 bits. */
export const HMAC_IMPORT_MAX_BYTES = 128;

/**
 * Why unwrapped key material does not fit the key spec (for the server to raise), or undefined
 * when it does. AWS's "Requirements for imported key material": SYMMETRIC_DEFAULT 32 bytes;
 * HMAC_<n> from n bits to 1024 bits; RSA and ECC a PKCS#8 private key of the spec (see
 * parseImportedPrivateKey); other specs (ML-DSA, Ed25519, SM2) are not importable. The message
 * names lengths and types, never key bytes.
 */
export function checkImportedMaterial(keySpec: KeySpec, material: Uint8Array): string | undefined {
  const name = KeySpec[keySpec] ?? String(keySpec);
  if (!isImportableKeySpec(keySpec)) return `Key material cannot be imported into ${name} keys`;
  if (keySpec === KeySpec.SYMMETRIC_DEFAULT) {
    return material.length === SYMMETRIC_IMPORT_BYTES ? undefined : `Key material for ${name} must be ${SYMMETRIC_IMPORT_BYTES} bytes (256 bits), got ${material.length}`;
  }
  const hmacMin = hmacKeyBytes.get(keySpec);
  if (hmacMin !== undefined) {
    const fits = material.length >= hmacMin && material.length <= HMAC_IMPORT_MAX_BYTES;
    return fits ? undefined : `Key material for ${name} must be ${hmacMin} to ${HMAC_IMPORT_MAX_BYTES} bytes, got ${material.length}`;
  }
  const parsed = parseImportedPrivateKey(keySpec, material);
  return "problem" in parsed ? parsed.problem : undefined;
}

/**
 * One encoding per key, for storing imported material and comparing a re-import with the
 * original (IncorrectKeyMaterialException): raw bytes as they are; a private key re-encoded from
 * its JWK form, so BER or DER, with or without the optional public key, give the same PKCS#8
 * DER. Only for material that passed checkImportedMaterial (a TypeError otherwise).
 */
export function canonicalImportedMaterial(keySpec: KeySpec, material: Uint8Array): Buffer {
  if (!isAsymmetricImport(keySpec)) return Buffer.from(material);
  const parsed = parseImportedPrivateKey(keySpec, material);
  if ("problem" in parsed) throw new TypeError(`canonicalImportedMaterial: unchecked material (${parsed.problem})`);
  return createPrivateKey({ key: parsed.key.export({ format: "jwk" }), format: "jwk" }).export({ type: "pkcs8", format: "der" });
}

/** The DER SubjectPublicKeyInfo of imported asymmetric material (what GetPublicKey returns), derived as for generated keys. */
export function publicKeyOfImported(keySpec: KeySpec, pkcs8: Uint8Array): Buffer {
  return derivePublicKey(keySpec, canonicalImportedMaterial(keySpec, pkcs8));
}
