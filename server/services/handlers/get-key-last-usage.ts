import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { keyScope } from "../../context.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";

/**
 * GetKeyLastUsage: the key's last successful cryptographic operation in this region (each
 * replica of a multi-Region key keeps its own), recorded in the same batch as that request's
 * audit record, whose request id it gives. Tracking starts when the key is created.
 */
export const getKeyLastUsage: KmsHandlers["getKeyLastUsage"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { key, arn } = await resolveKeyByIdOrArn(scope, req.keyId);
  const usage = await scope.region.keyring.getLastUsage(key.keyId);
  return {
    keyId: arn,
    keyCreationDate: timestampFromMs(key.creationDate),
    trackingStartDate: timestampFromMs(key.creationDate),
    ...(usage
      ? { keyLastUsage: { operation: usage.operation, timestamp: timestampFromMs(usage.timestamp), cloudTrailEventId: usage.requestId, kmsRequestId: usage.requestId } }
      : {}),
  };
};
