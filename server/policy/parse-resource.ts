import { compileArnGlob, compileArnPattern } from "./arn-pattern.js";
import type { PatternBlock } from "./compiled-policy.js";
import { stringList } from "./json-shape.js";
import { excerpt, malformed } from "./malformed.js";
import type { ConditionContext } from "./policy-types.js";
import { parseTemplate, resolveTemplate } from "./policy-variables.js";
import type { Matcher } from "./wildcard-pattern.js";

/**
 * Parses a Resource or NotResource element: "*" or ARN patterns ("arn:..." with wildcards),
 * matched case-sensitively component by component. In a key policy "*" means "this key". With
 * `variables` (Version 2012-10-17), a pattern's policy variables are filled from each request.
 */
export function parseResources(raw: unknown, negated: boolean, where: string, variables: boolean): PatternBlock {
  const element = negated ? "NotResource" : "Resource";
  const patterns: Matcher[] = [];
  const templates: Array<(context: ConditionContext) => Matcher | undefined> = [];
  for (const resource of stringList(raw, `${where}: ${element}`)) {
    if (resource !== "*" && !resource.startsWith("arn:")) {
      throw malformed(`${where}: ${element} ${excerpt(resource)} must be "*" or an ARN`);
    }
    const template = variables ? parseTemplate(resource) : undefined;
    if (!template) patterns.push(compileArnPattern(resource));
    else
      templates.push((context) => {
        const parts = resolveTemplate(template, context);
        return parts && compileArnGlob(parts);
      });
  }
  return Object.freeze({ negated, patterns: Object.freeze(patterns), ...(templates.length > 0 ? { templates: Object.freeze(templates) } : {}) });
}
