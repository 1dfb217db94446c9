import { keyScope } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import { checkDescription } from "../../domain/validation.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";

/** UpdateKeyDescription: replaces the description of a key that is not pending deletion. */
export const updateKeyDescription: KmsHandlers["updateKeyDescription"] = async (req, ctx) => {
  checkDescription(req.description);
  await updateKey(keyScope(ctx), req.keyId, (key, arn) => {
    requireState(key, arn, ["Enabled", "Disabled", "PendingImport"]);
    return { ...key, description: req.description };
  });
  return {};
};
