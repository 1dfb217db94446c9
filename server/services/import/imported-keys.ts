import { createHmac } from "node:crypto";
import type { KeyRecord } from "../../domain/key-record.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KeyringTransaction } from "../../store/keyring.js";

/** Import operations are for keys created with origin EXTERNAL. */
export function requireExternal(key: KeyRecord, arn: string): void {
  if (key.origin !== "EXTERNAL") throw new KmsError("UnsupportedOperationException", `${arn} has origin ${key.origin}; key material can be imported only into a key created with origin EXTERNAL`);
}

/** The keyed fingerprint of imported material (see KeyRecord.importedMaterialFingerprint); also its key_material_id. */
export function materialFingerprint(fingerprintKey: Uint8Array, canonicalMaterial: Uint8Array): string {
  return createHmac("sha256", fingerprintKey).update(canonicalMaterial).digest("hex");
}

/**
 * Deletes a key's imported material (every version) and its expiry; the key waits in
 * PendingImport, and may only ever take the same material again.
 */
export async function deleteImportedMaterial(tx: KeyringTransaction, key: KeyRecord): Promise<KeyRecord> {
  for (const version of await tx.keyring.listVersions(key.keyId)) tx.deleteKeyVersion(key.keyId, version.version);
  if (key.validTo !== undefined) tx.unschedule({ dueAt: key.validTo, keyId: key.keyId, job: "expire" });
  const { validTo: _validTo, expirationModel: _model, publicKey: _publicKey, ...rest } = key;
  return { ...rest, keyState: "PendingImport", currentVersion: 0, currentKeyMaterialId: "" };
}
