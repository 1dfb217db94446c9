import { randomBytes } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { MultiRegionKeyType, type MultiRegionConfigurationSchema } from "../../../gen/kms/v1/types_pb.js";
import type { KeyRecord } from "../../domain/key-record.js";
import { keyArn, type Region } from "../../domain/region.js";
import { validationError } from "../../errors/kms-error.js";
import { KeyedLock } from "../../store/keyed-lock.js";
import type { Keyring } from "../../store/keyring.js";

/** A multi-Region key's id: "mrk-" and 32 hex digits, the same in every region it is in. */
export function newMultiRegionKeyId(): string {
  return `mrk-${randomBytes(16).toString("hex")}`;
}

/** One region's copy of a multi-Region key. */
export interface RegionalCopy {
  readonly region: Region;
  readonly key: KeyRecord;
}

/**
 * Every region's copy of a multi-Region key, in region order. Each record says only whether it
 * is the primary or a replica; the set is read from the regions (a handful), so there is no list
 * of replicas to keep consistent across regions.
 */
export async function copiesOf(regions: ReadonlyMap<string, Region>, key: KeyRecord): Promise<RegionalCopy[]> {
  const copies: RegionalCopy[] = [];
  for (const region of regions.values()) {
    const copy = await region.keyring.getKey(key.keyId);
    if (copy && copy.multiRegion && copy.accountId === key.accountId) copies.push({ region, key: copy });
  }
  return copies;
}

/**
 * Serializes the changes that span regions: whoever changes a key in more than one keyring takes
 * this key's lock first, so two such changes never take the keyrings' locks in opposite orders
 * (a deadlock), and the set of regions it reads under it cannot change before it is done.
 */
const acrossRegions = new KeyedLock();

/**
 * Runs fn holding, in order, the key's cross-region lock and its lock in each keyring that
 * `keyringsOf` names; `keyringsOf` runs under the first lock, so a replica created meanwhile is
 * either in the set or created after fn.
 */
export function withKeyLocks<T>(keyId: string, keyringsOf: () => Promise<readonly Keyring[]> | readonly Keyring[], fn: (keyrings: readonly Keyring[]) => Promise<T>): Promise<T> {
  return acrossRegions.run([keyId], async () => {
    const keyrings = await keyringsOf();
    return keyrings.reduceRight<() => Promise<T>>((inner, keyring) => () => keyring.locked([`key:${keyId}`], inner), () => fn(keyrings))();
  });
}

/** DescribeKey's MultiRegionConfiguration, from the copies of the key. */
export function multiRegionConfiguration(key: KeyRecord, copies: readonly RegionalCopy[]): MessageInitShape<typeof MultiRegionConfigurationSchema> {
  const describe = (c: RegionalCopy) => ({ arn: keyArn(c.region, c.key.accountId, c.key.keyId), region: c.region.name });
  const primary = copies.find((c) => c.key.multiRegionType === "PRIMARY");
  return {
    multiRegionKeyType: key.multiRegionType === "PRIMARY" ? MultiRegionKeyType.PRIMARY : MultiRegionKeyType.REPLICA,
    ...(primary ? { primaryKey: describe(primary) } : {}),
    replicaKeys: copies.filter((c) => c.key.multiRegionType === "REPLICA").map(describe),
  };
}

/** The region a request names for a multi-Region key's other copy: a region of this server, not the request's own. */
export function otherRegion(regions: ReadonlyMap<string, Region>, name: string, field: string, current: Region): Region {
  const region = regions.get(name);
  if (!region) throw validationError(`${field} must be a region of this server (${[...regions.keys()].join(", ")})`);
  if (region.name === current.name) throw validationError(`${field} must be another region than ${current.name}, the key's own here`);
  return region;
}
