import type { KeyScope } from "../context.js";
import { parseKeyIdOrArn } from "../domain/key-identifier.js";
import type { KeyRecord } from "../domain/key-record.js";
import { KmsError } from "../errors/kms-error.js";
import type { KeyringTransaction } from "../store/keyring.js";
import { loadKey } from "./resolve-key.js";

/**
 * Changes a key named by id or ARN under its lock: `change` sees the current record and
 * returns the new one (staging any other writes on the transaction), or throws and nothing is
 * written.
 */
export async function updateKey(
  scope: KeyScope,
  identifier: string,
  change: (key: KeyRecord, arn: string, tx: KeyringTransaction) => KeyRecord | Promise<KeyRecord>,
): Promise<{ key: KeyRecord; arn: string }> {
  const id = ownKeyId(scope, identifier);
  return scope.region.keyring.transaction([`key:${id.keyId}`], scope.commit, async (tx) => {
    const { key, arn } = await loadKey(scope, id);
    // An AWS managed key's policy, state, rotation and life belong to the service.
    if (key.keyManager === "AWS") throw new KmsError("UnsupportedOperationException", `${arn} is an AWS managed key; it cannot be changed`);
    const updated = await change(key, arn, tx);
    tx.putKey(updated);
    return { key: updated, arn };
  });
}

/**
 * A key named by id or ARN for a change of its configuration, which only its own account may
 * make (as in AWS: no management operation is cross-account, whatever a key policy says).
 */
export function ownKeyId(scope: KeyScope, identifier: string): { accountId: string; keyId: string } {
  const id = parseKeyIdOrArn(identifier, scope.region, scope.accountId);
  if (id.accountId !== scope.accountId) throw new KmsError("NotFoundException", `Key '${identifier}' does not exist in account ${scope.accountId}; keys of another account cannot be managed`);
  return id;
}
