import type { CompiledPolicy, CompiledStatement } from "./compiled-policy.js";
import { checkMembers, isJsonObject, member, type JsonObject } from "./json-shape.js";
import { excerpt, malformed } from "./malformed.js";
import { parseActions } from "./parse-action.js";
import { parseCondition } from "./parse-condition.js";
import { parsePrincipal } from "./parse-principal.js";
import { parseResources } from "./parse-resource.js";
import type { PolicyKind } from "./policy-types.js";

const STATEMENT_MEMBERS: ReadonlySet<string> = new Set([
  "Sid",
  "Effect",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Principal",
  "NotPrincipal",
  "Condition",
]);

/** Which of two mutually exclusive members is present; throws when both are, or when neither is and one is required. */
function oneOf(statement: JsonObject, plain: string, negated: string, required: boolean, where: string) {
  const hasPlain = Object.hasOwn(statement, plain);
  const hasNegated = Object.hasOwn(statement, negated);
  if (hasPlain && hasNegated) throw malformed(`${where} must not have both ${plain} and ${negated}`);
  if (hasPlain) return { negated: false, raw: member(statement, plain) };
  if (hasNegated) return { negated: true, raw: member(statement, negated) };
  if (required) throw malformed(`${where} must have ${plain} or ${negated}`);
  return undefined;
}

/**
 * Parses one statement for a policy of the given kind. Key and trust policies need exactly one
 * of Principal/NotPrincipal; identity and session policies must have neither and need a
 * Resource/NotResource. A key-policy statement without Resource parses but never applies.
 */
export function parseStatement(raw: unknown, index: number, kind: PolicyKind, version: CompiledPolicy["version"]): CompiledStatement {
  const where = `Statement[${index}]`;
  if (!isJsonObject(raw)) throw malformed(`${where} must be an object, not ${excerpt(raw)}`);
  checkMembers(raw, STATEMENT_MEMBERS, where);

  const sid = member(raw, "Sid");
  if (sid !== undefined && typeof sid !== "string") throw malformed(`${where}: Sid must be a string, not ${excerpt(sid)}`);

  const effect = member(raw, "Effect");
  if (effect !== "Allow" && effect !== "Deny") throw malformed(`${where}: Effect must be "Allow" or "Deny", not ${excerpt(effect)}`);

  const action = oneOf(raw, "Action", "NotAction", true, where)!;
  const hasPrincipal = kind === "key" || kind === "trust";
  const resource = oneOf(raw, "Resource", "NotResource", !hasPrincipal, where);
  const principal = oneOf(raw, "Principal", "NotPrincipal", hasPrincipal, where);
  if (principal && !hasPrincipal) throw malformed(`${where}: a ${kind} policy must not have ${principal.negated ? "NotPrincipal" : "Principal"}`);

  const condition = member(raw, "Condition");
  // Policy variables came with the 2012-10-17 language; under 2008-10-17 "${...}" is plain text.
  const variables = version === "2012-10-17";
  const statement: CompiledStatement = {
    index,
    ...(sid !== undefined ? { sid } : {}),
    effect,
    ...(principal ? { principal: parsePrincipal(principal.raw, principal.negated) } : {}),
    action: parseActions(action.raw, action.negated, where),
    ...(resource ? { resource: parseResources(resource.raw, resource.negated, where, variables) } : {}),
    conditions: Object.freeze(condition === undefined ? [] : parseCondition(condition, where, variables)),
  };
  return Object.freeze(statement);
}
