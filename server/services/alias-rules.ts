import { limits } from "../domain/limits.js";
import { keyArn, type Region } from "../domain/region.js";
import { KmsError } from "../errors/kms-error.js";

/** A key has at most 50 aliases. */
export async function checkAliasRoom(region: Region, keyId: string): Promise<void> {
  const names = await region.keyring.listAliasNamesOfKey(keyId, undefined, limits.aliasesPerKey);
  if (names.length >= limits.aliasesPerKey) {
    throw new KmsError("LimitExceededException", `${keyArn(region, keyId)} already has ${limits.aliasesPerKey} aliases`);
  }
}
