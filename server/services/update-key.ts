import { parseKeyIdOrArn } from "../domain/key-identifier.js";
import type { KeyRecord } from "../domain/key-record.js";
import type { Region } from "../domain/region.js";
import { loadKey } from "./resolve-key.js";

/**
 * Changes a key named by id or ARN under its lock: `change` sees the current record and
 * returns the new one, or throws and nothing is written.
 */
export async function updateKey(
  region: Region,
  identifier: string,
  change: (key: KeyRecord, arn: string) => KeyRecord,
): Promise<{ key: KeyRecord; arn: string }> {
  const keyId = parseKeyIdOrArn(identifier, region);
  return region.keyring.transaction([`key:${keyId}`], async (tx) => {
    const { key, arn } = await loadKey(region, keyId);
    const updated = change(key, arn);
    tx.putKey(updated);
    return { key: updated, arn };
  });
}
