import type { PatternBlock } from "./compiled-policy.js";
import { stringList } from "./json-shape.js";
import { excerpt, malformed } from "./malformed.js";
import { compileWildcard } from "./wildcard-pattern.js";

/** The services whose actions this server authorizes; "audit" is this server's own. */
const ACTION = /^(?:kms|iam|sts|audit):[A-Za-z0-9*?]+$/i;

/**
 * Parses an Action or NotAction element: "*" or "<service>:<name>" with wildcards, service one
 * of kms, iam, sts, audit. Matching is case-insensitive, as IAM matches actions.
 */
export function parseActions(raw: unknown, negated: boolean, where: string): PatternBlock {
  const element = negated ? "NotAction" : "Action";
  const patterns = stringList(raw, `${where}: ${element}`).map((action) => {
    if (action !== "*" && !ACTION.test(action)) throw malformed(`${where}: ${element} ${excerpt(action)} is not a valid action`);
    return compileWildcard(action, { ignoreCase: true });
  });
  return Object.freeze({ negated, patterns: Object.freeze(patterns) });
}
