import type { Keyring } from "../store/keyring.js";

/** One region of the server: its name and its isolated keyring, shared by all accounts. */
export interface Region {
  readonly name: string;
  readonly partition: string;
  readonly keyring: Keyring;
}

/** The ARN of a key. */
export function keyArn(region: Pick<Region, "partition" | "name">, accountId: string, keyId: string): string {
  return `arn:${region.partition}:kms:${region.name}:${accountId}:key/${keyId}`;
}

/** The ARN of an alias. */
export function aliasArn(region: Pick<Region, "partition" | "name">, accountId: string, aliasName: string): string {
  return `arn:${region.partition}:kms:${region.name}:${accountId}:${aliasName}`;
}
