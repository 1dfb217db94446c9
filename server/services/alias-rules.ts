import { limits } from "../domain/limits.js";
import type { KeyScope } from "../context.js";
import { keyArn } from "../domain/region.js";
import { KmsError } from "../errors/kms-error.js";

/** A key has at most 50 aliases. */
export async function checkAliasRoom({ region, accountId }: KeyScope, keyId: string): Promise<void> {
  const names = await region.keyring.listAliasNamesOfKey(keyId, undefined, limits.aliasesPerKey);
  if (names.length >= limits.aliasesPerKey) {
    throw new KmsError("LimitExceededException", `${keyArn(region, accountId, keyId)} already has ${limits.aliasesPerKey} aliases`);
  }
}
