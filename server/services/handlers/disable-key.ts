import { keyScope } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";

/** DisableKey: Enabled (or already Disabled) becomes Disabled; other states are KMSInvalidStateException. */
export const disableKey: KmsHandlers["disableKey"] = async (req, ctx) => {
  await updateKey(keyScope(ctx), req.keyId, (key, arn) => {
    requireState(key, arn, ["Enabled", "Disabled"]);
    return { ...key, keyState: "Disabled" };
  });
  return {};
};
