import { keyScope, requireServices } from "../../context.js";
import type { KmsHandlers } from "../handler-types.js";
import { toKeyMetadata } from "../key-metadata.js";
import { copiesOf, multiRegionConfiguration } from "../multi-region/multi-region-keys.js";
import { resolveKey } from "../resolve-key.js";

/** DescribeKey: metadata of a key named by id, ARN, alias name or alias ARN, in any state; a multi-Region key's primary and replicas. */
export const describeKey: KmsHandlers["describeKey"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { key } = await resolveKey(scope, req.keyId);
  const config = key.multiRegion ? multiRegionConfiguration(key, await copiesOf(requireServices(ctx).regions, key)) : undefined;
  return { keyMetadata: toKeyMetadata(scope.region, key, config) };
};
