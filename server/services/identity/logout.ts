import { auditCommit } from "../../audit/pending-audit.js";
import { requireCaller, requireServices } from "../../context.js";
import type { IdentityHandlers } from "./identity-handler-types.js";

/** Logout: the session of the request's token ends now. */
export const logout: IdentityHandlers["logout"] = async (_req, ctx) => {
  const caller = requireCaller(ctx);
  await requireServices(ctx).identities.transaction([], auditCommit(ctx), async (tx) => tx.deleteSession(caller.sessionId));
  return {};
};
