import { compileArnPattern } from "./arn-pattern.js";
import type { CompiledCondition } from "./compiled-policy.js";
import { parseOperatorName, type Ordering, type ParsedOperator, type ValueFamily } from "./condition-operators.js";
import { parseDateValue } from "./date-value.js";
import { cidrContains, parseCidr, parseIpAddress } from "./ip-cidr.js";
import { isJsonObject, member } from "./json-shape.js";
import { excerpt, malformed } from "./malformed.js";
import { parseNumericValue } from "./numeric-value.js";
import { compileWildcard } from "./wildcard-pattern.js";

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

/** Builds "does this request value match some policy value" for the positive form of the operator. */
function valueMatcher(
  op: ParsedOperator,
  family: Exclude<ValueFamily, "null">,
  values: Scalar[],
  where: string,
): (value: string) => boolean {
  const { ordering } = op.spec;
  switch (family) {
    case "string": {
      const set = new Set(values.map((v) => asString(v, op, where)));
      return (v) => set.has(v);
    }
    case "string-ignore-case": {
      const set = new Set(values.map((v) => asString(v, op, where).toLowerCase()));
      return (v) => set.has(v.toLowerCase());
    }
    case "string-like": {
      const matchers = values.map((v) => compileWildcard(asString(v, op, where), { ignoreCase: false }));
      return (v) => matchers.some((m) => m.matches(v));
    }
    case "arn": {
      const matchers = values.map((v) => {
        if (typeof v !== "string") throw malformed(`${where}: ${op.name} needs ARN strings, not ${excerpt(v)}`);
        return compileArnPattern(v);
      });
      return (v) => matchers.some((m) => m.matches(v));
    }
    case "numeric": {
      const numbers = values.map((v) => {
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
      const instants = values.map((v) => {
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
        values.map((v) => {
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
      const networks = values.map((v) => {
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

function compileOne(op: ParsedOperator, key: string, raw: unknown, where: string): CompiledCondition {
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
  return Object.freeze({
    kind: "compare",
    operator: op.name,
    key: lowerKey,
    set: op.set,
    ifExists: op.ifExists,
    negated: op.spec.negated,
    matchesValue: valueMatcher(op, op.spec.family, values, where),
  });
}

/**
 * Compiles a Condition element: operator -> { condition key -> value(s) }. Operators and keys are
 * AND-ed, the values of one key OR-ed. Keys are stored lowercased (IAM key names are
 * case-insensitive); values keep their case. Values are checked against the operator's type here,
 * so evaluation never meets a bad policy value.
 */
export function parseCondition(raw: unknown, where: string): CompiledCondition[] {
  if (!isJsonObject(raw)) throw malformed(`${where}: Condition must be an object, not ${excerpt(raw)}`);
  const out: CompiledCondition[] = [];
  for (const name of Object.keys(raw)) {
    const op = parseOperatorName(name);
    if (!op) throw malformed(`${where}: unknown condition operator ${excerpt(name)}`);
    const block = member(raw, name);
    if (!isJsonObject(block)) throw malformed(`${where}: ${op.name} must map condition keys to values, not ${excerpt(block)}`);
    for (const key of Object.keys(block)) out.push(compileOne(op, key, member(block, key), where));
  }
  return out;
}
