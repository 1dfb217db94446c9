import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { rsaModulusBytes } from "../../domain/key-specs.js";
import { deriveOnce } from "./derived-key-cache.js";

/** OpenSSL's names for the curves of the ECC key specs. */
export const nodeCurveNames: ReadonlyMap<KeySpec, string> = new Map([
  [KeySpec.ECC_NIST_P256, "prime256v1"],
  [KeySpec.ECC_NIST_P384, "secp384r1"],
  [KeySpec.ECC_NIST_P521, "secp521r1"],
  [KeySpec.ECC_SECG_P256K1, "secp256k1"],
]);

/**
 * Imports stored PKCS#8 DER (once: see deriveOnce) and checks it is a key of the spec: a mismatch
 * means the store or a caller mixed up keys, a server fault, so it is a plain Error rather than a
 * client error.
 */
export function importPrivateKey(spec: KeySpec, pkcs8Der: Uint8Array): KeyObject {
  return deriveOnce(`private/${spec}`, pkcs8Der, () => {
    const key = createPrivateKey({ key: Buffer.from(pkcs8Der), format: "der", type: "pkcs8" });
    if (!keyMatchesSpec(key, spec)) throw new Error(`stored private key is not a ${KeySpec[spec]} key`);
    return key;
  });
}

/** Imports a stored DER SubjectPublicKeyInfo of the spec; a key of another type or curve is refused the same way. */
export function importPublicKey(spec: KeySpec, spkiDer: Uint8Array): KeyObject {
  return deriveOnce(`public/${spec}`, spkiDer, () => {
    const key = createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
    if (!keyMatchesSpec(key, spec)) throw new Error(`public key is not a ${KeySpec[spec]} key`);
    return key;
  });
}

/** Whether a node key object is of the spec's algorithm, curve or modulus size. */
export function keyMatchesSpec(key: KeyObject, spec: KeySpec): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  const modulusBytes = rsaModulusBytes.get(spec);
  if (modulusBytes !== undefined) return key.asymmetricKeyType === "rsa" && details.modulusLength === modulusBytes * 8;
  const curve = nodeCurveNames.get(spec);
  if (curve !== undefined) return key.asymmetricKeyType === "ec" && details.namedCurve === curve;
  if (spec === KeySpec.ECC_NIST_EDWARDS25519) return key.asymmetricKeyType === "ed25519";
  return false;
}

/** The DER SubjectPublicKeyInfo of a node key (private or public). */
export function spkiOf(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: "der", type: "spki" });
}
