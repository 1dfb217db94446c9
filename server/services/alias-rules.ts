import { limits } from "../domain/limits.js";
import type { KeyScope } from "../context.js";
import type { AliasRecord } from "../domain/key-record.js";
import { aliasArn, keyArn } from "../domain/region.js";
import { KmsError } from "../errors/kms-error.js";

/** A key has at most 50 aliases. */
export async function checkAliasRoom({ region, accountId }: KeyScope, keyId: string): Promise<void> {
  const names = await region.keyring.listAliasNamesOfKey(keyId, undefined, limits.aliasesPerKey);
  if (names.length >= limits.aliasesPerKey) {
    throw new KmsError("LimitExceededException", `${keyArn(region, accountId, keyId)} already has ${limits.aliasesPerKey} aliases`);
  }
}

/** A key's type for UpdateAlias: an alias moves only between keys of one type (and usage), as in AWS. */
export function keyType(keySpec: string): "symmetric" | "HMAC" | "asymmetric" {
  if (keySpec === "SYMMETRIC_DEFAULT") return "symmetric";
  return keySpec.startsWith("HMAC_") ? "HMAC" : "asymmetric";
}

/**
 * The alias still points at the key whose policy authorization checked (UpdateAlias's current key,
 * DeleteAlias's key); if another request moved it since, ConflictException, so a caller never
 * moves or deletes an alias of a key it was not allowed on.
 */
export function requireAuthorizedTarget(scope: KeyScope, alias: AliasRecord): void {
  const authorized = scope.resolved?.get("alias_name");
  if (authorized && authorized.key.keyId !== alias.targetKeyId) {
    throw new KmsError("ConflictException", `${aliasArn(scope.region, scope.accountId, alias.aliasName)} was pointed at another key while this request was authorized; retry`);
  }
}
