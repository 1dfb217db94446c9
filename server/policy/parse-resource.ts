import { compileArnPattern } from "./arn-pattern.js";
import type { PatternBlock } from "./compiled-policy.js";
import { stringList } from "./json-shape.js";
import { excerpt, malformed } from "./malformed.js";

/**
 * Parses a Resource or NotResource element: "*" or ARN patterns ("arn:..." with wildcards),
 * matched case-sensitively component by component. In a key policy "*" means "this key".
 */
export function parseResources(raw: unknown, negated: boolean, where: string): PatternBlock {
  const element = negated ? "NotResource" : "Resource";
  const patterns = stringList(raw, `${where}: ${element}`).map((resource) => {
    if (resource !== "*" && !resource.startsWith("arn:")) {
      throw malformed(`${where}: ${element} ${excerpt(resource)} must be "*" or an ARN`);
    }
    return compileArnPattern(resource);
  });
  return Object.freeze({ negated, patterns: Object.freeze(patterns) });
}
