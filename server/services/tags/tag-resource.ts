import { keyScope } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import { checkTags } from "../../domain/tags.js";
import { validationError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";

/** TagResource: adds tags, replacing the value of a tag key the key already has; at most 50 in all. */
export const tagResource: KmsHandlers["tagResource"] = async (req, ctx) => {
  if (req.tags.length === 0) throw validationError("tags must hold at least one tag");
  const added = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  checkTags(added);
  await updateKey(keyScope(ctx), req.keyId, (key, arn) => {
    requireState(key, arn, ["Enabled", "Disabled", "PendingImport"]);
    const tags = [...key.tags.filter((t) => !added.some((a) => a.key === t.key)), ...added];
    checkTags(tags);
    return { ...key, tags };
  });
  return {};
};
