import type { CompiledPolicy, CompiledStatement } from "./compiled-policy.js";
import { checkMembers, isJsonObject, member } from "./json-shape.js";
import { excerpt, malformed } from "./malformed.js";
import { parseStatement } from "./parse-statement.js";
import { maxPolicyBytes } from "./policy-limits.js";
import type { PolicyKind } from "./policy-types.js";

const TOP_MEMBERS: ReadonlySet<string> = new Set(["Version", "Id", "Statement"]);
const KINDS: ReadonlySet<string> = new Set(["key", "identity", "trust", "session"]);

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    throw malformed("The policy is not valid JSON");
  }
}

/**
 * Parses, validates and compiles an untrusted policy document of the given kind. Any
 * malformation raises MalformedPolicyDocumentException with a reason that quotes at most a short
 * excerpt; nothing else is ever thrown. The result is immutable and can be cached (PolicyCache).
 */
export function parsePolicy(json: string, kind: PolicyKind): CompiledPolicy {
  if (!KINDS.has(kind)) throw malformed("Unknown policy kind");
  if (typeof json !== "string") throw malformed("The policy must be a string");
  const limit = maxPolicyBytes(kind);
  if (json.length > limit || Buffer.byteLength(json, "utf8") > limit) {
    throw malformed(`The policy is larger than ${limit} bytes`);
  }
  const document = parseJson(json);
  if (!isJsonObject(document)) throw malformed(`The policy must be a JSON object, not ${excerpt(document)}`);
  checkMembers(document, TOP_MEMBERS, "The policy");

  const version = member(document, "Version") ?? "2008-10-17";
  if (version !== "2012-10-17" && version !== "2008-10-17") {
    throw malformed(`Version must be "2012-10-17" or "2008-10-17", not ${excerpt(version)}`);
  }
  const id = member(document, "Id");
  if (id !== undefined && typeof id !== "string") throw malformed(`Id must be a string, not ${excerpt(id)}`);

  const raw = member(document, "Statement");
  if (raw === undefined) throw malformed("The policy has no Statement");
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw malformed("Statement must not be an empty array");
  const statements: CompiledStatement[] = list.map((s, i) => parseStatement(s, i, kind, version));

  const sids = new Set<string>();
  for (const s of statements) {
    if (s.sid === undefined) continue;
    if (sids.has(s.sid)) throw malformed(`Statement[${s.index}]: Sid ${excerpt(s.sid)} is used by another statement; Sids must be unique`);
    sids.add(s.sid);
  }

  const policy: CompiledPolicy = { kind, version, ...(id !== undefined ? { id } : {}), statements: Object.freeze(statements) };
  return Object.freeze(policy);
}
