import { KmsError } from "../errors/kms-error.js";
import { parseKeyIdentifier, parseKeyIdOrArn } from "../domain/key-identifier.js";
import type { KeyRecord } from "../domain/key-record.js";
import { aliasArn, keyArn, type Region } from "../domain/region.js";

/** A key found in the request's region, with its ARN. */
export interface ResolvedKey {
  readonly key: KeyRecord;
  readonly arn: string;
}

/** Finds the key named by a key ID, key ARN, alias name or alias ARN, or fails with NotFoundException. */
export async function resolveKey(region: Region, identifier: string, field = "key_id"): Promise<ResolvedKey> {
  const id = parseKeyIdentifier(identifier, region, field);
  if (id.kind === "key") return loadKey(region, id.keyId);
  const alias = await region.keyring.getAlias(id.aliasName);
  if (!alias) throw new KmsError("NotFoundException", `Alias ${aliasArn(region, id.aliasName)} is not found.`);
  return loadKey(region, alias.targetKeyId);
}

/** Finds the key named by a key ID or key ARN (management operations). */
export async function resolveKeyByIdOrArn(region: Region, identifier: string, field = "key_id"): Promise<ResolvedKey> {
  return loadKey(region, parseKeyIdOrArn(identifier, region, field));
}

/** Loads a key by id or fails with NotFoundException. */
export async function loadKey(region: Region, keyId: string): Promise<ResolvedKey> {
  const arn = keyArn(region, keyId);
  const key = await region.keyring.getKey(keyId);
  if (!key) throw new KmsError("NotFoundException", `Key '${arn}' does not exist`);
  return { key, arn };
}
