/** How an operator reads its values: decides both validation at parse time and comparison. */
export type ValueFamily = "string" | "string-ignore-case" | "string-like" | "numeric" | "date" | "bool" | "ip" | "arn" | "null";

/** How a numeric or date operator orders the request value against the policy value. */
export type Ordering = "eq" | "lt" | "le" | "gt" | "ge";

/** What a base operator (no prefix, no IfExists) means. */
export interface OperatorSpec {
  readonly family: ValueFamily;
  /** True for the Not-operators, which hold when no request value matches any policy value. */
  readonly negated: boolean;
  readonly ordering: Ordering;
}

function spec(family: ValueFamily, negated = false, ordering: Ordering = "eq"): OperatorSpec {
  return Object.freeze({ family, negated, ordering });
}

/** Every base condition operator IAM defines that this server supports, by its exact (case-sensitive) name. */
const BASE_OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map([
  ["StringEquals", spec("string")],
  ["StringNotEquals", spec("string", true)],
  ["StringEqualsIgnoreCase", spec("string-ignore-case")],
  ["StringNotEqualsIgnoreCase", spec("string-ignore-case", true)],
  ["StringLike", spec("string-like")],
  ["StringNotLike", spec("string-like", true)],
  ["NumericEquals", spec("numeric")],
  ["NumericNotEquals", spec("numeric", true)],
  ["NumericLessThan", spec("numeric", false, "lt")],
  ["NumericLessThanEquals", spec("numeric", false, "le")],
  ["NumericGreaterThan", spec("numeric", false, "gt")],
  ["NumericGreaterThanEquals", spec("numeric", false, "ge")],
  ["DateEquals", spec("date")],
  ["DateNotEquals", spec("date", true)],
  ["DateLessThan", spec("date", false, "lt")],
  ["DateLessThanEquals", spec("date", false, "le")],
  ["DateGreaterThan", spec("date", false, "gt")],
  ["DateGreaterThanEquals", spec("date", false, "ge")],
  ["Bool", spec("bool")],
  ["IpAddress", spec("ip")],
  ["NotIpAddress", spec("ip", true)],
  ["ArnEquals", spec("arn")],
  ["ArnNotEquals", spec("arn", true)],
  ["ArnLike", spec("arn")],
  ["ArnNotLike", spec("arn", true)],
  ["Null", spec("null")],
]);

/** The names of all base operators, for tests and documentation. */
export const baseOperatorNames: readonly string[] = Object.freeze([...BASE_OPERATORS.keys()]);

/** How several request values of one key are combined: single-valued, ForAnyValue: or ForAllValues:. */
export type SetQualifier = "single" | "any" | "all";

/** An operator name taken apart: qualifier, base operator and IfExists suffix. */
export interface ParsedOperator {
  readonly name: string;
  readonly base: string;
  readonly spec: OperatorSpec;
  readonly set: SetQualifier;
  readonly ifExists: boolean;
}

const IF_EXISTS = "IfExists";

/** Parses an operator name such as "ForAllValues:StringLikeIfExists"; undefined when IAM knows no such operator. */
export function parseOperatorName(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: SetQualifier = "single";
  if (rest.startsWith("ForAnyValue:")) {
    set = "any";
    rest = rest.slice("ForAnyValue:".length);
  } else if (rest.startsWith("ForAllValues:")) {
    set = "all";
    rest = rest.slice("ForAllValues:".length);
  }
  let ifExists = false;
  if (rest.endsWith(IF_EXISTS)) {
    ifExists = true;
    rest = rest.slice(0, -IF_EXISTS.length);
  }
  const found = BASE_OPERATORS.get(rest);
  if (!found || (ifExists && found.family === "null")) return undefined;
  return Object.freeze({ name, base: rest, spec: found, set, ifExists });
}
