import { keyScope } from "../../context.js";
import { requireState } from "../../domain/key-state-rules.js";
import type { KmsHandlers } from "../handler-types.js";
import { updateKey } from "../update-key.js";

/** EnableKey: Disabled (or already Enabled) becomes Enabled; other states are KMSInvalidStateException. */
export const enableKey: KmsHandlers["enableKey"] = async (req, ctx) => {
  await updateKey(keyScope(ctx), req.keyId, (key, arn) => {
    requireState(key, arn, ["Enabled", "Disabled"]);
    return { ...key, keyState: "Enabled" };
  });
  return {};
};
