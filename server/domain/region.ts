import type { Keyring } from "../store/keyring.js";

/** One region of the server: its names and its isolated keyring. */
export interface Region {
  readonly name: string;
  readonly accountId: string;
  readonly partition: string;
  readonly keyring: Keyring;
}

/** The ARN of a key in a region. */
export function keyArn(region: Pick<Region, "partition" | "name" | "accountId">, keyId: string): string {
  return `arn:${region.partition}:kms:${region.name}:${region.accountId}:key/${keyId}`;
}

/** The ARN of an alias in a region. */
export function aliasArn(region: Pick<Region, "partition" | "name" | "accountId">, aliasName: string): string {
  return `arn:${region.partition}:kms:${region.name}:${region.accountId}:${aliasName}`;
}
