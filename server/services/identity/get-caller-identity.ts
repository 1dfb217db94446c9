import { requireCaller } from "../../context.js";
import type { IdentityHandlers } from "./identity-handler-types.js";

/** GetCallerIdentity: who the token belongs to; always allowed, as in AWS STS. */
export const getCallerIdentity: IdentityHandlers["getCallerIdentity"] = async (_req, ctx) => {
  const caller = requireCaller(ctx);
  return { account: caller.accountId, arn: caller.arn, userId: caller.userId };
};
