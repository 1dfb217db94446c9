import { compileArnGlob, compileArnPattern } from "./arn-pattern.js";
import type { CompiledCondition } from "./compiled-policy.js";
import { parseOperatorName, type Ordering, type ParsedOperator, type ValueFamily } from "./condition-operators.js";
import { parseDateValue } from "./date-value.js";
import { cidrContains, parseCidr, parseIpAddress } from "./ip-cidr.js";
import { isJsonObject, member } from "./json-shape.js";
import { excerpt, malformed } from "./malformed.js";
import { parseNumericValue } from "./numeric-value.js";
import type { ConditionContext } from "./policy-types.js";
import { parseTemplate, resolveTemplate, textOf, type GlobPart } from "./policy-variables.js";
import { compileGlob, compileWildcard } from "./wildcard-pattern.js";

type Scalar = string | number | boolean;

const CONDITION_KEY = /^[A-Za-z0-9_.-]+:[\s\S]+$/;

function scalars(raw: unknown, where: string): Scalar[] {
  const isScalar = (v: unknown): v is Scalar => typeof v === "string" || typeof v === "number" || typeof v === "boolean";
  if (isScalar(raw)) return [raw];
  if (Array.isArray(raw)) {
    if (raw.length === 0) throw malformed(`${where} must not be an empty array`);
    return raw.map((v) => {
      if (!isScalar(v)) throw malformed(`${where} must hold strings, numbers or booleans, not ${excerpt(v)}`);
      return v;
    });
  }
  throw malformed(`${where} must be a string, number, boolean or an array of them, not ${excerpt(raw)}`);
}

function ordered(ordering: Ordering, actual: number, wanted: number): boolean {
  switch (ordering) {
    case "eq":
      return actual === wanted;
    case "lt":
      return actual < wanted;
    case "le":
      return actual <= wanted;
    case "gt":
      return actual > wanted;
    case "ge":
      return actual >= wanted;
  }
}

function boolOf(value: Scalar): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return undefined;
  const lower = value.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : undefined;
}

function asString(value: Scalar, op: ParsedOperator, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && !Number.isFinite(value)) throw malformed(`${where}: ${op.name} has a number out of range`);
  return String(value);
}

/** A policy value, or one whose policy variables a request filled. */
type PolicyValue = Scalar | readonly GlobPart[];

/** The families whose values may hold policy variables: IAM fills them in string and ARN comparisons. */
const VARIABLE_FAMILIES: ReadonlySet<ValueFamily> = new Set(["string", "string-ignore-case", "string-like", "arn"]);

/** Builds "does this request value match some policy value" for the positive form of the operator. */
function valueMatcher(
  op: ParsedOperator,
  family: Exclude<ValueFamily, "null">,
  values: readonly PolicyValue[],
  where: string,
): (value: string) => boolean {
  const { ordering } = op.spec;
  const text = (v: PolicyValue) => (isResolved(v) ? textOf(v) : asString(v, op, where));
  switch (family) {
    case "string": {
      const set = new Set(values.map(text));
      return (v) => set.has(v);
    }
    case "string-ignore-case": {
      const set = new Set(values.map((v) => text(v).toLowerCase()));
      return (v) => set.has(v.toLowerCase());
    }
    case "string-like": {
      const matchers = values.map((v) => (isResolved(v) ? compileGlob(v, { ignoreCase: false }) : compileWildcard(asString(v, op, where), { ignoreCase: false })));
      return (v) => matchers.some((m) => m.matches(v));
    }
    case "arn": {
      const matchers = values.map((v) => {
        if (isResolved(v)) return compileArnGlob(v);
        if (typeof v !== "string") throw malformed(`${where}: ${op.name} needs ARN strings, not ${excerpt(v)}`);
        return compileArnPattern(v);
      });
      return (v) => matchers.some((m) => m.matches(v));
    }
    case "numeric": {
      const numbers = values.filter(isScalar).map((v) => {
        const n = typeof v === "number" ? (Number.isFinite(v) ? v : undefined) : typeof v === "string" ? parseNumericValue(v) : undefined;
        if (n === undefined) throw malformed(`${where}: ${op.name} needs numbers, not ${excerpt(v)}`);
        return n;
      });
      return (v) => {
        const actual = parseNumericValue(v);
        return actual !== undefined && numbers.some((wanted) => ordered(ordering, actual, wanted));
      };
    }
    case "date": {
      const instants = values.filter(isScalar).map((v) => {
        const t = typeof v === "number" ? (Number.isFinite(v) ? Math.round(v * 1000) : undefined) : typeof v === "string" ? parseDateValue(v) : undefined;
        if (t === undefined) throw malformed(`${where}: ${op.name} needs ISO-8601 dates or epoch seconds, not ${excerpt(v)}`);
        return t;
      });
      return (v) => {
        const actual = parseDateValue(v);
        return actual !== undefined && instants.some((wanted) => ordered(ordering, actual, wanted));
      };
    }
    case "bool": {
      const wanted = new Set(
        values.filter(isScalar).map((v) => {
          const b = boolOf(v);
          if (b === undefined) throw malformed(`${where}: Bool needs "true" or "false", not ${excerpt(v)}`);
          return b;
        }),
      );
      return (v) => {
        const actual = boolOf(v);
        return actual !== undefined && wanted.has(actual);
      };
    }
    case "ip": {
      const networks = values.filter(isScalar).map((v) => {
        const cidr = typeof v === "string" ? parseCidr(v) : undefined;
        if (!cidr) throw malformed(`${where}: ${op.name} needs IPv4 or IPv6 addresses or CIDR blocks, not ${excerpt(v)}`);
        return cidr;
      });
      return (v) => {
        const address = parseIpAddress(v);
        return address !== undefined && networks.some((n) => cidrContains(n, address));
      };
    }
  }
}

function isResolved(value: PolicyValue): value is readonly GlobPart[] {
  return Array.isArray(value);
}

function isScalar(value: PolicyValue): value is Scalar {
  return !Array.isArray(value);
}

/**
 * With policy variables among the values, the matcher is made from each request's values; a
 * variable with no value leaves none (the condition then fails, as IAM treats the statement as
 * invalid). Values are still checked here, with the variables as written.
 */
function variableResolver(op: ParsedOperator, family: Exclude<ValueFamily, "null">, values: Scalar[], where: string) {
  const templates = values.map((v) => (typeof v === "string" ? parseTemplate(v) : undefined));
  if (!VARIABLE_FAMILIES.has(family) || templates.every((t) => t === undefined)) return undefined;
  return (context: ConditionContext) => {
    const resolved: PolicyValue[] = [];
    for (const [i, template] of templates.entries()) {
      const parts = template ? resolveTemplate(template, context) : undefined;
      if (template && !parts) return undefined;
      resolved.push(parts ?? values[i]!);
    }
    return valueMatcher(op, family, resolved, where);
  };
}

function compileOne(op: ParsedOperator, key: string, raw: unknown, where: string, variables: boolean): CompiledCondition {
  if (!CONDITION_KEY.test(key)) throw malformed(`${where}: ${excerpt(key)} is not a condition key (expected "prefix:name")`);
  const values = scalars(raw, `${where}: the values of ${op.name}`);
  const lowerKey = key.toLowerCase();
  if (op.spec.family === "null") {
    const wants = values.map((v) => {
      const b = boolOf(v);
      if (b === undefined) throw malformed(`${where}: Null needs "true" or "false", not ${excerpt(v)}`);
      return b;
    });
    return Object.freeze({ kind: "null", operator: op.name, key: lowerKey, wants: Object.freeze(wants) });
  }
  const resolve = variables ? variableResolver(op, op.spec.family, values, where) : undefined;
  return Object.freeze({
    kind: "compare",
    operator: op.name,
    key: lowerKey,
    set: op.set,
    ifExists: op.ifExists,
    negated: op.spec.negated,
    matchesValue: valueMatcher(op, op.spec.family, values, where),
    ...(resolve ? { resolve } : {}),
  });
}

/**
 * Compiles a Condition element: operator -> { condition key -> value(s) }. Operators and keys are
 * AND-ed, the values of one key OR-ed. Keys are stored lowercased (IAM key names are
 * case-insensitive); values keep their case. Values are checked against the operator's type here,
 * so evaluation never meets a bad policy value. With `variables` (Version 2012-10-17), string and
 * ARN values may hold policy variables, filled from each request.
 */
export function parseCondition(raw: unknown, where: string, variables: boolean): CompiledCondition[] {
  if (!isJsonObject(raw)) throw malformed(`${where}: Condition must be an object, not ${excerpt(raw)}`);
  const out: CompiledCondition[] = [];
  for (const name of Object.keys(raw)) {
    const op = parseOperatorName(name);
    if (!op) throw malformed(`${where}: unknown condition operator ${excerpt(name)}`);
    const block = member(raw, name);
    if (!isJsonObject(block)) throw malformed(`${where}: ${op.name} must map condition keys to values, not ${excerpt(block)}`);
    for (const key of Object.keys(block)) out.push(compileOne(op, key, member(block, key), where, variables));
  }
  return out;
}
