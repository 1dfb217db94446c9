import type { PrincipalBlock, PrincipalEntry } from "./compiled-policy.js";
import { isJsonObject, member } from "./json-shape.js";
import { malformed } from "./malformed.js";

/** The message AWS KMS gives for any principal it cannot resolve (LocalStack issue #7605 quotes it). */
export const INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals";

const PARTITION = "[a-z][a-z0-9-]{0,31}";
const NAME = "[\\w+=,.@-]+";
const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = new RegExp(`^arn:(${PARTITION}):iam::(\\d{12}):root$`);
const USER_OR_ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:(user|role)/${NAME}(?:/${NAME})*$`);
const SESSION_ARN = new RegExp(`^arn:${PARTITION}:sts::\\d{12}:assumed-role/${NAME}/${NAME}$`);
const PRINCIPAL_TYPES: ReadonlySet<string> = new Set(["AWS", "Service", "Federated"]);

function invalid(): never {
  throw malformed(INVALID_PRINCIPALS);
}

function awsEntry(value: string): PrincipalEntry {
  if (value === "*") return { kind: "any" };
  if (ACCOUNT_ID.test(value)) return { kind: "account", accountId: value };
  const root = ROOT_ARN.exec(value);
  if (root) return { kind: "account", partition: root[1]!, accountId: root[2]! };
  const userOrRole = USER_OR_ROLE_ARN.exec(value);
  if (userOrRole) return { kind: "arn", arn: value, arnType: userOrRole[1] === "user" ? "user" : "role" };
  if (SESSION_ARN.test(value)) return { kind: "arn", arn: value, arnType: "assumed-role" };
  return invalid();
}

function values(raw: unknown): string[] {
  const list = typeof raw === "string" ? [raw] : Array.isArray(raw) && raw.length > 0 ? raw : invalid();
  return list.map((v) => (typeof v === "string" && v !== "" ? v : invalid()));
}

/**
 * Parses a Principal or NotPrincipal element: "*" or { "AWS" | "Service" | "Federated": value(s) }.
 * AWS values resolve to everyone, an account (id or root ARN) or an exact user, role or session
 * ARN; Service and Federated principals are kept but never match a caller of this server. Any
 * other value raises AWS's "invalid principals" message, which names no value.
 */
export function parsePrincipal(raw: unknown, negated: boolean): PrincipalBlock {
  const entries: PrincipalEntry[] = [];
  if (raw === "*") {
    entries.push({ kind: "any" });
  } else if (isJsonObject(raw)) {
    const types = Object.keys(raw);
    if (types.length === 0) invalid();
    for (const type of types) {
      if (!PRINCIPAL_TYPES.has(type)) invalid();
      for (const value of values(member(raw, type))) {
        entries.push(type === "AWS" ? awsEntry(value) : { kind: "other", type, value });
      }
    }
  } else {
    invalid();
  }
  return Object.freeze({ negated, entries: Object.freeze(entries.map((e) => Object.freeze(e))) });
}
