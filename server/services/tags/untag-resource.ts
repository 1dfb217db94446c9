import { keyScope } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";

/** UntagResource: removes the named tag keys; naming a key the resource does not have is not an error (as in AWS). */
export const untagResource: KmsHandlers["untagResource"] = async (req, ctx) => {
  if (req.tagKeys.length === 0) throw validationError("tag_keys must name at least one tag key");
  await updateKey(keyScope(ctx), req.keyId, (key, arn) => {
    requireState(key, arn, ["Enabled", "Disabled", "PendingImport"]);
    return { ...key, tags: key.tags.filter((t) => !req.tagKeys.includes(t.key)) };
  });
  return {};
};
