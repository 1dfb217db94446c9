import type { AuthorizationDenial, DecidedBy, PolicyType } from "./authorize.js";
import type { AccessRequest } from "./policy-types.js";

function policyTypeOf(source: DecidedBy["source"]): PolicyType {
  switch (source) {
    case "key-policy":
    case "trust-policy":
    case "grant":
      return "resource-based";
    case "identity-policy":
      return "identity-based";
    case "session-policy":
      return "session";
  }
}

function article(type: PolicyType): string {
  return type === "identity-based" ? "an" : "a";
}

/**
 * The AccessDeniedException message for a denial, worded as AWS words it, e.g.
 * "User: <arn> is not authorized to perform: kms:Decrypt on resource: <key arn> because no
 * resource-based policy allows the kms:Decrypt action". It names the caller, action, resource
 * and kind of policy only, never a policy's contents.
 */
export function describeDenial(result: AuthorizationDenial, request: AccessRequest): string {
  const head = describeRefusal(request);
  if (result.reason === "explicit-deny") {
    const type = policyTypeOf(result.decidedBy.source);
    return `${head} with an explicit deny in ${article(type)} ${type} policy`;
  }
  return `${head} because no ${result.missing} policy allows the ${request.action} action`;
}

/** The message without its reason, as STS refuses AssumeRole whatever the reason. */
export function describeRefusal(request: Pick<AccessRequest, "principal" | "action" | "resource">): string {
  return `User: ${request.principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
}
