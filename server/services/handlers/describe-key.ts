import { keyScope } from "../../context.js";
import type { KmsHandlers } from "../handler-types.js";
import { toKeyMetadata } from "../key-metadata.js";
import { resolveKey } from "../resolve-key.js";

/** DescribeKey: metadata of a key named by id, ARN, alias name or alias ARN, in any state. */
export const describeKey: KmsHandlers["describeKey"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { key } = await resolveKey(scope, req.keyId);
  return { keyMetadata: toKeyMetadata(scope.region, key) };
};
