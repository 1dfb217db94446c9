import type { CompiledCondition } from "./compiled-policy.js";
import type { ConditionContext } from "./policy-types.js";

function requestValues(context: ConditionContext, key: string): readonly string[] {
  const value = context.get(key);
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

/**
 * Evaluates one condition with IAM's semantics. A key absent from the context (or with no values)
 * is "missing": Null {k: "true"} holds, ...IfExists and ForAllValues: hold, ForAnyValue: and the
 * positive operators fail, the negated operators (StringNotEquals, NotIpAddress, ...) hold.
 * Present values: a positive single-valued operator holds when ANY request value matches some
 * policy value; a negated one when NO request value matches any policy value; ForAnyValue: when
 * at least one request value satisfies the operator; ForAllValues: when every one does.
 */
export function conditionHolds(condition: CompiledCondition, context: ConditionContext): boolean {
  const values = requestValues(context, condition.key);
  const missing = values.length === 0;
  if (condition.kind === "null") return condition.wants.some((wantsMissing) => wantsMissing === missing);
  // A policy variable the request has no value for: IAM treats the statement as invalid, so the
  // condition fails whatever the key's presence (...IfExists and ForAllValues: included).
  const matchesValue = condition.resolve ? condition.resolve(context) : condition.matchesValue;
  if (!matchesValue) return false;
  if (missing) {
    if (condition.ifExists || condition.set === "all") return true;
    if (condition.set === "any") return false;
    return condition.negated;
  }
  const satisfies = condition.negated ? (value: string) => !matchesValue(value) : matchesValue;
  switch (condition.set) {
    case "any":
      return values.some(satisfies);
    case "all":
      return values.every(satisfies);
    case "single":
      return condition.negated ? values.every(satisfies) : values.some(satisfies);
  }
}
