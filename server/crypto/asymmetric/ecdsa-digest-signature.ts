import type { KeyObject } from "node:crypto";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";

/**
 * ECDSA over a digest the caller already computed (MessageType DIGEST). node:crypto always hashes
 * what it signs, so this uses @noble/curves with prehash off. Signatures are DER, like node's and
 * AWS's; S is not normalized (OpenSSL and AWS do not), and high-S signatures verify.
 */

const curves = new Map([
  [KeySpec.ECC_NIST_P256, p256],
  [KeySpec.ECC_NIST_P384, p384],
  [KeySpec.ECC_NIST_P521, p521],
  [KeySpec.ECC_SECG_P256K1, secp256k1],
]);

function curveOf(spec: KeySpec) {
  const curve = curves.get(spec);
  if (!curve) throw new TypeError(`${KeySpec[spec]} is not an ECDSA key spec`);
  return curve;
}

/** Signs with the private scalar of a node EC key (from its JWK export; d is padded to the field size). */
export function signEcdsaDigest(spec: KeySpec, privateKey: KeyObject, digest: Uint8Array): Uint8Array {
  const { d } = privateKey.export({ format: "jwk" });
  if (!d) throw new TypeError("not an EC private key");
  return curveOf(spec).sign(digest, Buffer.from(d, "base64url"), { prehash: false, lowS: false, format: "der" });
}

/** Verifies with a node EC public key; false for malformed signatures. */
export function verifyEcdsaDigest(spec: KeySpec, publicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const { x, y } = publicKey.export({ format: "jwk" });
  if (!x || !y) throw new TypeError("not an EC public key");
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(x, "base64url"), Buffer.from(y, "base64url")]);
  try {
    return curveOf(spec).verify(signature, digest, point, { prehash: false, lowS: false, format: "der" });
  } catch {
    return false;
  }
}
