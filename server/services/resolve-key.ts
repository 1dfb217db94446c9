import type { KeyScope } from "../context.js";
import { parseKeyIdentifier, parseKeyIdOrArn } from "../domain/key-identifier.js";
import type { KeyRecord } from "../domain/key-record.js";
import { aliasArn, keyArn } from "../domain/region.js";
import { KmsError } from "../errors/kms-error.js";

/** A key found in the request's region, with its ARN. */
export interface ResolvedKey {
  readonly key: KeyRecord;
  readonly arn: string;
}

/** Finds the key named by a key ID, key ARN, alias name or alias ARN, or fails with NotFoundException. */
export async function resolveKey(scope: KeyScope, identifier: string, field = "key_id"): Promise<ResolvedKey> {
  const resolved = scope.resolved?.get(field);
  if (resolved) return resolved;
  const id = parseKeyIdentifier(identifier, scope.region, scope.accountId, field);
  if (id.kind === "key") return loadKey(scope, id);
  let alias = await scope.region.keyring.getAlias(id.accountId, id.aliasName);
  // The first use of alias/aws/<service> in the caller's own account creates that AWS managed key.
  if (!alias && scope.managedKeys && id.accountId === scope.accountId) {
    await scope.managedKeys(id.aliasName);
    alias = await scope.region.keyring.getAlias(id.accountId, id.aliasName);
  }
  if (!alias) throw new KmsError("NotFoundException", `Alias ${aliasArn(scope.region, id.accountId, id.aliasName)} is not found.`);
  return loadKey(scope, { accountId: id.accountId, keyId: alias.targetKeyId });
}

/** Finds the key named by a key ID or key ARN (management operations). */
export async function resolveKeyByIdOrArn(scope: KeyScope, identifier: string, field = "key_id"): Promise<ResolvedKey> {
  const resolved = scope.resolved?.get(field);
  if (resolved) return resolved;
  return loadKey(scope, parseKeyIdOrArn(identifier, scope.region, scope.accountId, field));
}

/** Loads a key of an account by id, or fails with NotFoundException (a key of another account is not found). */
export async function loadKey(scope: KeyScope, id: { accountId: string; keyId: string }): Promise<ResolvedKey> {
  const arn = keyArn(scope.region, id.accountId, id.keyId);
  const key = await scope.region.keyring.getKey(id.keyId);
  if (!key || key.accountId !== id.accountId) throw new KmsError("NotFoundException", `Key '${arn}' does not exist`);
  return { key, arn };
}
