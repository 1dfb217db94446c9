import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { keyMatchesSpec } from "../asymmetric/key-objects.js";

/** The DER of id-ecPublicKey (1.2.840.10045.2.1); in PKCS#8 its parameters follow: a curve OID (06) when named. */
const ID_EC_PUBLIC_KEY = Buffer.from("06072a8648ce3d0201", "hex");
const PROBE = Buffer.from("kms import pairwise consistency test");

/**
 * Parses imported asymmetric key material and checks it the way AWS's requirements read: one
 * PKCS#8 private key (RFC 5208) and nothing after it, of the spec's type and size or curve, RSA
 * with two primes, ECC on a named curve (explicit parameters are refused even when they match
 * one), and a consistent pair: a signature by the private key verifies under the public key
 * derived from it, which catches an embedded public point that is not the private key's. The
 * problem text names types and sizes, never key bytes.
 */
export function parseImportedPrivateKey(spec: KeySpec, material: Uint8Array): { key: KeyObject } | { problem: string } {
  const name = KeySpec[spec] ?? String(spec);
  if (!isSingleDerSequence(material)) return { problem: `Key material for ${name} must be a DER-encoded PKCS#8 private key` };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(material), format: "der", type: "pkcs8" });
  } catch {
    return { problem: `Key material for ${name} must be a DER-encoded PKCS#8 private key` };
  }
  if (!keyMatchesSpec(key, spec)) return { problem: `Key material is ${describe(key)}, which does not match key spec ${name}` };
  if (key.asymmetricKeyType === "rsa" && !hasTwoPrimes(key)) return { problem: "Multi-prime RSA key material is not supported; import a two-prime RSA key" };
  if (key.asymmetricKeyType === "ec" && !hasNamedCurve(key)) return { problem: "ECC key material must name its curve; keys with explicit curve parameters are not supported" };
  if (!isConsistentPair(key)) return { problem: `Key material is not a consistent ${name} key pair` };
  return { key };
}

/** A DER SEQUENCE whose definite length covers the input exactly (node ignores trailing bytes). BER's indefinite length is let through to the parser. */
function isSingleDerSequence(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0x30) return false;
  const first = bytes[1]!;
  if (first === 0x80) return true;
  if (first < 0x80) return 2 + first === bytes.length;
  const count = first & 0x7f;
  if (count > 4 || bytes.length < 2 + count) return false;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[2 + i]!;
  return 2 + count + length === bytes.length;
}

/** RSAPrivateKey version 0 is two-prime; 1 carries otherPrimeInfos (RFC 8017 A.1.2). Read from OpenSSL's own DER. */
function hasTwoPrimes(key: KeyObject): boolean {
  const der = key.export({ type: "pkcs1", format: "der" });
  const lengthBytes = der[1]! < 0x80 ? 0 : der[1]! & 0x7f;
  const version = der.subarray(2 + lengthBytes, 2 + lengthBytes + 3);
  return version.equals(Buffer.from([0x02, 0x01, 0x00]));
}

function hasNamedCurve(key: KeyObject): boolean {
  const der = key.export({ type: "pkcs8", format: "der" });
  const at = der.indexOf(ID_EC_PUBLIC_KEY);
  return at >= 0 && der[at + ID_EC_PUBLIC_KEY.length] === 0x06;
}

function isConsistentPair(key: KeyObject): boolean {
  try {
    return verify("sha256", PROBE, createPublicKey(key), sign("sha256", PROBE, key));
  } catch {
    return false;
  }
}

function describe(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") return `an RSA-${details.modulusLength ?? "?"} key`;
  if (key.asymmetricKeyType === "ec") return `an EC key on ${details.namedCurve ?? "an unnamed curve"}`;
  return `a ${key.asymmetricKeyType ?? "unknown"} key`;
}
