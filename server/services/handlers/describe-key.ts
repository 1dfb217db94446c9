import { requireRegion } from "../../context.js";
import type { KmsHandlers } from "../handler-types.js";
import { toKeyMetadata } from "../key-metadata.js";
import { resolveKey } from "../resolve-key.js";

/** DescribeKey: metadata of a key named by id, ARN, alias name or alias ARN, in any state. */
export const describeKey: KmsHandlers["describeKey"] = async (req, ctx) => {
  const region = requireRegion(ctx);
  const { key } = await resolveKey(region, req.keyId);
  return { keyMetadata: toKeyMetadata(region, key) };
};
