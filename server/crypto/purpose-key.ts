import { hkdfSync } from "node:crypto";

/**
 * A key for one purpose derived from the root key (HKDF-SHA256, the purpose as info), so that a
 * secret used for tokens or fingerprints is never the key that wraps key material.
 */
export function deriveRootKey(rootKey: Uint8Array, purpose: "import-token" | "imported-material-fingerprint"): Buffer {
  return Buffer.from(hkdfSync("sha256", rootKey, new Uint8Array(0), `kms root key: ${purpose}`, 32));
}
