import { createHash } from "node:crypto";
import { eddsa } from "@noble/curves/abstract/edwards.js";
import { ed25519 } from "@noble/curves/ed25519.js";

/**
 * Ed25519ph (RFC 8032 section 5.1) over a SHA-512 digest the caller already computed. Node 20
 * has no Ed25519ph, and @noble/curves' ed25519ph hashes the message itself, so this builds the
 * same scheme with an identity prehash: dom2(phflag=1, empty context) || digest.
 */

const DOM2_PREFIX = Buffer.from("SigEd25519 no Ed25519 collisions", "ascii");

function sha512(data: Uint8Array): Uint8Array {
  return createHash("sha512").update(data).digest();
}
sha512.outputLen = 64;
sha512.blockLen = 128;

/** RFC 8032 scalar clamping of the hashed secret (section 5.1.5 step 2). */
function clamp(bytes: Uint8Array): Uint8Array {
  bytes[0]! &= 248;
  bytes[31]! &= 127;
  bytes[31]! |= 64;
  return bytes;
}

const ed25519OverDigest = eddsa(ed25519.Point, sha512, {
  adjustScalarBytes: clamp,
  domain: (data: Uint8Array, context: Uint8Array, phflag: boolean) =>
    Buffer.concat([DOM2_PREFIX, Uint8Array.of(phflag ? 1 : 0, context.length), context, data]),
  // The digest is PH(M) already.
  prehash: (digest: Uint8Array) => digest,
  // Strict RFC 8032 / FIPS 186-5 verification, as OpenSSL does, not ZIP-215.
  zip215: false,
});

/** Signs a 64-byte SHA-512 digest with the 32-byte Ed25519 private key (the seed). */
export function signEd25519phDigest(seed: Uint8Array, digest: Uint8Array): Uint8Array {
  return ed25519OverDigest.sign(digest, seed);
}

/** Verifies against the 32-byte public key; false for anything malformed. */
export function verifyEd25519phDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519OverDigest.verify(signature, digest, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
