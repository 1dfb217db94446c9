import test from "ava";
import fc from "fast-check";
import { KmsError } from "../server/errors/kms-error.js";
import { compileArnPattern } from "../server/policy/arn-pattern.js";
import { parseDateValue } from "../server/policy/date-value.js";
import {
  authorize,
  evaluatePolicy,
  parsePolicy,
  type AccessRequest,
  type CompiledPolicy,
  type PolicyDecision,
  type PolicyKind,
  type Principal,
} from "../server/policy/index.js";
import { cidrContains, parseCidr, parseIpAddress } from "../server/policy/ip-cidr.js";
import { compileGlob, compileWildcard } from "../server/policy/wildcard-pattern.js";

const ACCT = "111122223333";
const OTHER = "444455556666";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY_ARN = `arn:aws:kms:us-east-1:${OTHER}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
const KINDS: PolicyKind[] = ["key", "identity", "trust", "session"];

/** How parsePolicy ended: "ok", "malformed" (with a short message), or a description of anything else. */
function outcome(json: string, kind: PolicyKind): string {
  try {
    parsePolicy(json, kind);
    return "ok";
  } catch (error) {
    if (error instanceof KmsError && error.exception === "MalformedPolicyDocumentException") {
      return error.message.length <= 200 ? "malformed" : `message too long: ${error.message.length} characters`;
    }
    return `unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

const kindArb = fc.constantFrom(...KINDS);

// ---------------------------------------------------------------------------------------------
// Untrusted input never escapes as anything but MalformedPolicyDocumentException.

test("arbitrary strings parse or raise MalformedPolicyDocumentException", (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: fc.constantFrom(..."{}[]\":,*? aAkms:SttmnEffectAllow0123"), maxLength: 200 })), kindArb, (text, kind) => {
      const result = outcome(text, kind);
      return result === "ok" || result === "malformed";
    }),
    { numRuns: 2000 },
    ),
  );
});

test("arbitrary JSON values parse or raise MalformedPolicyDocumentException", (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(fc.json({ maxDepth: 6 }), kindArb, (json, kind) => {
      const result = outcome(json, kind);
      return result === "ok" || result === "malformed";
    }),
    { numRuns: 2000 },
    ),
  );
});

test("arbitrary JavaScript values, serialized, parse or raise MalformedPolicyDocumentException", (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(fc.anything({ maxDepth: 5, withNullPrototype: true, withObjectString: true }), kindArb, (value, kind) => {
      const json = JSON.stringify(value);
      if (json === undefined) return true;
      const result = outcome(json, kind);
      return result === "ok" || result === "malformed";
    }),
    { numRuns: 2000 },
    ),
  );
});

// ---------------------------------------------------------------------------------------------
// A generator of valid policies, over the grammar.

const USERS = [`arn:aws:iam::${ACCT}:user/alice`, `arn:aws:iam::${ACCT}:user/bob`, `arn:aws:iam::${OTHER}:user/carol`, `arn:aws:iam::${ACCT}:user/ops/dana`];
const ROLES = [`arn:aws:iam::${ACCT}:role/app`, `arn:aws:iam::${OTHER}:role/app`];
const SESSIONS = [`arn:aws:sts::${ACCT}:assumed-role/app/s1`, `arn:aws:sts::${ACCT}:assumed-role/app/s2`];

const oneOrMany = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));

const awsPrincipalArb = fc.oneof(
  fc.constant("*"),
  fc.constantFrom(ACCT, OTHER),
  fc.constantFrom(ACCT, OTHER).map((a) => `arn:aws:iam::${a}:root`),
  fc.constantFrom(...USERS, ...ROLES, ...SESSIONS),
);
const principalArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.constant("*") },
  { weight: 5, arbitrary: fc.record({ AWS: oneOrMany(awsPrincipalArb) }) },
  { weight: 1, arbitrary: fc.record({ AWS: oneOrMany(awsPrincipalArb), Service: fc.constant("ec2.amazonaws.com") }) },
  { weight: 1, arbitrary: fc.record({ Federated: fc.constant("cognito-identity.amazonaws.com") }) },
);

const ACTION_NAMES = ["Encrypt", "Decrypt", "ReEncryptFrom", "GenerateDataKey", "DescribeKey", "PutKeyPolicy", "ScheduleKeyDeletion", "CreateGrant", "ListKeys"];
const actionArb = fc.oneof(
  fc.constant("*"),
  fc.constantFrom("kms:*", "iam:*", "sts:AssumeRole", "kms:Generate*", "kms:ReEncrypt*", "kms:Get?eyPolicy", "KMS:encrypt"),
  fc.constantFrom(...ACTION_NAMES).map((n) => `kms:${n}`),
  fc.tuple(fc.constantFrom("kms", "iam", "sts", "audit", "KMS"), fc.stringMatching(/^[A-Za-z0-9*?]{1,10}$/)).map(([s, n]) => `${s}:${n}`),
);
const resourceArb = fc.oneof(
  fc.constant("*"),
  fc.constantFrom(KEY_ARN, OTHER_KEY_ARN, `arn:aws:kms:*:${ACCT}:key/*`, "arn:aws:kms:*", `arn:aws:kms:us-east-1:${ACCT}:alias/*`),
  fc.stringMatching(/^arn:[a-z0-9*?:/-]{0,30}$/),
);

type Family = "string" | "numeric" | "date" | "bool" | "ip" | "arn" | "null";
/** Every base operator and the kind of value it takes (an oracle independent of the implementation). */
const OPERATORS: [string, Family][] = [
  ["StringEquals", "string"],
  ["StringNotEquals", "string"],
  ["StringEqualsIgnoreCase", "string"],
  ["StringNotEqualsIgnoreCase", "string"],
  ["StringLike", "string"],
  ["StringNotLike", "string"],
  ["NumericEquals", "numeric"],
  ["NumericNotEquals", "numeric"],
  ["NumericLessThan", "numeric"],
  ["NumericLessThanEquals", "numeric"],
  ["NumericGreaterThan", "numeric"],
  ["NumericGreaterThanEquals", "numeric"],
  ["DateEquals", "date"],
  ["DateNotEquals", "date"],
  ["DateLessThan", "date"],
  ["DateLessThanEquals", "date"],
  ["DateGreaterThan", "date"],
  ["DateGreaterThanEquals", "date"],
  ["Bool", "bool"],
  ["IpAddress", "ip"],
  ["NotIpAddress", "ip"],
  ["ArnEquals", "arn"],
  ["ArnNotEquals", "arn"],
  ["ArnLike", "arn"],
  ["ArnNotLike", "arn"],
  ["Null", "null"],
];

const CONTEXT_KEYS = [
  "kms:encryptioncontext:tenant",
  "kms:encryptioncontextkeys",
  "kms:calleraccount",
  "kms:keyspec",
  "kms:requestalias",
  "kms:resourcealiases",
  "kms:grantoperations",
  "kms:granteeprincipal",
  "kms:grantisforawsresource",
  "kms:schedulekeydeletionpendingwindowindays",
  "aws:principalarn",
  "aws:principaltag/team",
  "aws:tagkeys",
  "aws:sourceip",
  "aws:currenttime",
  "aws:securetransport",
];
/** A condition key in random letter case: key names are case-insensitive. */
const conditionKeyArb = fc.tuple(fc.constantFrom(...CONTEXT_KEYS), fc.array(fc.boolean(), { minLength: 48, maxLength: 48 })).map(([key, upper]) =>
  [...key].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""),
);

const STRING_POOL = ["acme", "ACME", "beta", "tenant", "alias/app-*", "alias/app-1", "Decrypt", "*", "?", "", ACCT, "true"];
const ipv4CidrArb = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, p]) => `${ip}/${p}`);
const ipv6CidrArb = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([ip, p]) => `${ip}/${p}`);
const dateArb = fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2090-01-01T00:00:00Z"), noInvalidDate: true });

const policyValueArb: Record<Family, fc.Arbitrary<unknown>> = {
  string: fc.oneof(fc.constantFrom(...STRING_POOL), fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()),
  numeric: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer().map(String)),
  date: fc.oneof(dateArb.map((d) => d.toISOString()), dateArb.map((d) => Math.floor(d.getTime() / 1000)), dateArb.map((d) => d.toISOString().slice(0, 10))),
  bool: fc.constantFrom("true", "false", true, false, "TRUE", "False"),
  ip: fc.oneof(fc.ipV4(), fc.ipV6(), ipv4CidrArb, ipv6CidrArb),
  arn: fc.oneof(fc.constantFrom(...USERS, ...ROLES, "arn:aws:iam::*:role/*", "*", `arn:aws:iam::${ACCT}:*`), fc.stringMatching(/^arn:[a-z0-9*?:/-]{0,20}$/)),
  null: fc.constantFrom("true", "false", true, false),
};

const conditionArb = fc
  .array(
    fc.tuple(fc.constantFrom(...OPERATORS), fc.constantFrom("", "ForAnyValue:", "ForAllValues:"), fc.boolean(), conditionKeyArb).chain(([[base, family], prefix, ifExists, key]) =>
      oneOrMany(policyValueArb[family]).map((value) => ({ operator: `${prefix}${base}${ifExists && family !== "null" ? "IfExists" : ""}`, key, value })),
    ),
    { minLength: 0, maxLength: 4 },
  )
  .map((entries) => {
    const condition: Record<string, Record<string, unknown>> = {};
    for (const { operator, key, value } of entries) (condition[operator] ??= {})[key] = value;
    return condition;
  });

function statementArb(kind: PolicyKind): fc.Arbitrary<Record<string, unknown>> {
  const withPrincipal = kind === "key" || kind === "trust";
  const resourceRequired = !withPrincipal;
  return fc
    .record({
      effect: fc.constantFrom("Allow", "Deny"),
      action: oneOrMany(actionArb),
      notAction: fc.boolean(),
      resource: resourceRequired ? oneOrMany(resourceArb) : fc.option(oneOrMany(resourceArb), { freq: 5 }),
      notResource: fc.boolean(),
      principal: principalArb,
      notPrincipal: fc.boolean(),
      condition: fc.option(conditionArb, { freq: 2 }),
    })
    .map((s) => ({
      Effect: s.effect,
      [s.notAction ? "NotAction" : "Action"]: s.action,
      ...(s.resource === null ? {} : { [s.notResource ? "NotResource" : "Resource"]: s.resource }),
      ...(withPrincipal ? { [s.notPrincipal ? "NotPrincipal" : "Principal"]: s.principal } : {}),
      ...(s.condition === null ? {} : { Condition: s.condition }),
    }));
}

interface GeneratedPolicy {
  kind: PolicyKind;
  version?: string;
  statements: Record<string, unknown>[];
}

function policyArb(kind: PolicyKind): fc.Arbitrary<GeneratedPolicy> {
  return fc
    .record({
      version: fc.constantFrom("2012-10-17", "2008-10-17", undefined),
      statements: fc.array(statementArb(kind), { minLength: 1, maxLength: 6 }),
      sids: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    })
    .map(({ version, statements, sids }) => ({
      kind,
      ...(version ? { version } : {}),
      statements: statements.map((s, i) => (sids[i] ? { Sid: `S${i}`, ...s } : s)),
    }));
}

const anyPolicyArb = kindArb.chain(policyArb);

function text(policy: GeneratedPolicy, statements = policy.statements): string {
  return JSON.stringify({ ...(policy.version ? { Version: policy.version } : {}), Statement: statements });
}

const principalsArb = fc.constantFrom<Principal>(
  { arn: USERS[0]!, accountId: ACCT, tags: {} },
  { arn: USERS[1]!, accountId: ACCT, tags: { team: "acme" } },
  { arn: USERS[2]!, accountId: OTHER, tags: {} },
  { arn: USERS[3]!, accountId: ACCT, tags: {} },
  { arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, tags: {} },
  { arn: SESSIONS[0]!, accountId: ACCT, roleArn: ROLES[0]!, tags: {} },
  { arn: SESSIONS[1]!, accountId: ACCT, roleArn: ROLES[0]!, tags: {} },
);
const CONTEXT_VALUES = [...STRING_POOL, "10", "-3.5", "1e2", "2020-01-01T00:00:00Z", "1577836800", "10.1.2.3", "::ffff:10.0.0.1", "2001:db8::1", "false", ...USERS, ...ROLES];
const contextValueArb = fc.oneof(fc.constantFrom(...CONTEXT_VALUES), fc.string({ maxLength: 10 }));
const requestArb: fc.Arbitrary<AccessRequest> = fc.record({
  principal: principalsArb,
  action: fc.oneof(fc.constantFrom(...ACTION_NAMES).map((n) => `kms:${n}`), fc.constantFrom("iam:CreateUser", "sts:AssumeRole", "KMS:ENCRYPT", "audit:Read")),
  resource: fc.constantFrom(KEY_ARN, OTHER_KEY_ARN, "*", `arn:aws:kms:us-east-1:${ACCT}:alias/app`),
  context: fc
    .dictionary(fc.constantFrom(...CONTEXT_KEYS), fc.oneof(contextValueArb, fc.array(contextValueArb, { maxLength: 3 })), { maxKeys: 6 })
    .map((d) => new Map(Object.entries(d))),
});

// ---------------------------------------------------------------------------------------------
// Properties of valid policies.

test("generated valid policies always parse, and evaluate and authorize without throwing", (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(anyPolicyArb, requestArb, (generated, request) => {
      const policy = parsePolicy(text(generated), generated.kind);
      evaluatePolicy(policy, request);
      const key = generated.kind === "key" ? policy : parsePolicy(text({ ...generated, statements: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] }), "key");
      const identity = generated.kind === "identity" ? [{ name: "p", policy }] : [];
      const session = generated.kind === "session" ? { sessionPolicy: policy } : {};
      authorize({ request, key: { policy: key, accountId: ACCT, grants: [] }, identityPolicies: identity, ...session });
      authorize({ request, identityPolicies: identity, ...session });
    }),
    { numRuns: 1500 },
    ),
  );
});

test("evaluation is deterministic", (t) => {
  fc.assert(
    fc.property(anyPolicyArb, requestArb, (generated, request) => {
      const policy = parsePolicy(text(generated), generated.kind);
      const again = parsePolicy(text(generated), generated.kind);
      const first = evaluatePolicy(policy, request);
      t.deepEqual(evaluatePolicy(policy, request), first);
      t.deepEqual(evaluatePolicy(again, request), first);
    }),
    { numRuns: 500 },
  );
});

/** The strength of an allow, as authorize() ranks them: account < direct < exact session. */
function rank(d: PolicyDecision): number {
  return d.effect !== "Allow" ? 0 : d.via === "account" ? 1 : d.namesSession ? 3 : 2;
}

test("a policy decides as its statements do one by one: any Deny wins, else the strongest Allow", (t) => {
  fc.assert(
    fc.property(anyPolicyArb, requestArb, (generated, request) => {
      const whole = evaluatePolicy(parsePolicy(text(generated), generated.kind), request);
      const single = generated.statements.map((s) => evaluatePolicy(parsePolicy(text(generated, [s]), generated.kind), request));
      const firstDeny = single.findIndex((d) => d.effect === "Deny");
      if (firstDeny >= 0) {
        t.is(whole.effect, "Deny");
        if (whole.effect === "Deny") t.is(whole.statement.index, firstDeny);
        return;
      }
      const best = Math.max(0, ...single.map(rank));
      if (best === 0) {
        t.deepEqual(whole, { effect: "None" });
        return;
      }
      t.is(whole.effect, "Allow");
      t.is(rank(whole), best);
      if (whole.effect === "Allow") t.is(whole.statement.index, single.findIndex((d) => rank(d) === best));
    }),
    { numRuns: 700 },
  );
});

test("statement order does not change the outcome (deny wins wherever it stands)", (t) => {
  fc.assert(
    fc.property(anyPolicyArb, requestArb, fc.array(fc.integer(), { minLength: 6, maxLength: 6 }), (generated, request, keys) => {
      const order = generated.statements.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
      const shuffled = order.map((i) => generated.statements[i]!);
      const a = evaluatePolicy(parsePolicy(text(generated), generated.kind), request);
      const b = evaluatePolicy(parsePolicy(text(generated, shuffled), generated.kind), request);
      t.is(b.effect, a.effect);
      t.is(rank(b), rank(a));
      if (a.effect === "Deny" && b.effect === "Deny") {
        // The reported statements are both Deny statements that apply.
        t.is(generated.statements[a.statement.index]!["Effect"], "Deny");
        t.is(shuffled[b.statement.index]!["Effect"], "Deny");
      }
    }),
    { numRuns: 700 },
  );
});

test("authorize never allows what any of its policies explicitly denies", (t) => {
  fc.assert(
    fc.property(policyArb("key"), policyArb("identity"), fc.option(policyArb("session")), requestArb, (key, identity, session, request) => {
      const keyPolicy = parsePolicy(text(key), "key");
      const identityPolicy = parsePolicy(text(identity), "identity");
      const sessionPolicy: CompiledPolicy | undefined = session ? parsePolicy(text(session), "session") : undefined;
      const result = authorize({
        request,
        key: { policy: keyPolicy, accountId: ACCT, grants: [{ grantId: "g", granteePrincipal: request.principal.arn, operations: ["Encrypt", "Decrypt"] }] },
        identityPolicies: [{ name: "i", policy: identityPolicy }],
        ...(sessionPolicy ? { sessionPolicy } : {}),
      });
      const denied = [keyPolicy, identityPolicy, ...(sessionPolicy ? [sessionPolicy] : [])].some((p) => evaluatePolicy(p, request).effect === "Deny");
      t.is(!result.allowed && result.reason === "explicit-deny", denied);
    }),
    { numRuns: 700 },
  );
});

// ---------------------------------------------------------------------------------------------
// Mutations of valid documents: still either valid or MalformedPolicyDocumentException.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function replaced(value: Json, path: (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.flatMap((v, i) => (i === head ? (rest.length === 0 && replacement === undefined ? [] : [replaced(v, rest, replacement)]) : [v]));
  if (value !== null && typeof value === "object") {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== head) out[k] = v;
      else if (!(rest.length === 0 && replacement === undefined)) out[k] = replaced(v, rest, replacement);
    }
    return out;
  }
  return value;
}

test("valid documents with one part replaced or removed parse or raise MalformedPolicyDocumentException", (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(anyPolicyArb, kindArb, fc.nat(), fc.option(fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>), (generated, kind, pick, replacement) => {
      const document = JSON.parse(text(generated)) as Json;
      const all = paths(document);
      const mutated = replaced(document, all[pick % all.length]!, replacement ?? undefined);
      const result = outcome(JSON.stringify(mutated), kind);
      return result === "ok" || result === "malformed";
    }),
    { numRuns: 3000 },
    ),
  );
});

// ---------------------------------------------------------------------------------------------
// Matchers against independent reference implementations.

/** Reference glob matcher: dynamic programming over code points; a literal part's characters are never wildcards. */
function globReference(pattern: string | ReadonlyArray<{ text: string; literal: boolean }>, value: string): boolean {
  const p = (typeof pattern === "string" ? [{ text: pattern, literal: false }] : pattern).flatMap((part) => [...part.text].map((c) => ({ c, wild: !part.literal })));
  const v = [...value];
  let row = new Array<boolean>(v.length + 1).fill(false);
  row[0] = true;
  for (const { c, wild } of p) {
    const next = new Array<boolean>(v.length + 1).fill(false);
    if (wild && c === "*") {
      for (let j = 0; j <= v.length; j++) next[j] = row[j]! || (j > 0 && next[j - 1]!);
    } else {
      for (let j = 1; j <= v.length; j++) next[j] = row[j - 1]! && ((wild && c === "?") || c === v[j - 1]);
    }
    row = next;
  }
  return row[v.length]!;
}

const GLOB_UNITS = ["a", "b", "*", "?", ".", "\\", "(", "[", "$", "^", "1", "2", "|", "/", "-", "+", "{", "}", "é", "\u{1f600}"];

test("the wildcard matcher matches exactly as a reference glob matcher does", (t) => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...GLOB_UNITS), maxLength: 12 }),
      fc.string({ unit: fc.constantFrom(...GLOB_UNITS.filter((u) => u !== "*" && u !== "?")), maxLength: 14 }),
      (pattern, value) => {
        t.is(compileWildcard(pattern, { ignoreCase: false }).matches(value), globReference(pattern, value), `${pattern} vs ${value}`);
      },
    ),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[ab*?]{0,10}$/), fc.stringMatching(/^[abAB]{0,12}$/), (pattern, value) => {
      t.is(compileWildcard(pattern, { ignoreCase: true }).matches(value), globReference(pattern, value.toLowerCase()));
    }),
    { numRuns: 3000 },
  );
});

test("a pattern with literal parts (policy variables' values) matches as the reference does: their '*' and '?' only themselves", (t) => {
  const units = ["a", "b", "*", "?", "é", "\u{1f600}"];
  fc.assert(
    fc.property(
      fc.array(fc.record({ text: fc.string({ unit: fc.constantFrom(...units), maxLength: 5 }), literal: fc.boolean() }), { maxLength: 4 }),
      fc.string({ unit: fc.constantFrom(...units), maxLength: 12 }),
      (parts, value) => {
        t.is(compileGlob(parts, { ignoreCase: false }).matches(value), globReference(parts, value), `${JSON.stringify(parts)} vs ${value}`);
      },
    ),
    { numRuns: 5000 },
  );
});

const alice: Principal = { arn: USERS[0]!, accountId: ACCT, tags: {} };

function contextRequest(value: string, action = "kms:Encrypt"): AccessRequest {
  return { principal: alice, action, resource: "*", context: new Map([["kms:encryptioncontext:t", value]]) };
}

test("the wildcard matcher stays fast on patterns that make naive RegExps backtrack", (t) => {
  const pattern = `${"*a".repeat(40)}*b`;
  const started = Date.now();
  t.false(compileWildcard(pattern, { ignoreCase: false }).matches("a".repeat(20_000)));
  t.true(compileWildcard(pattern, { ignoreCase: false }).matches(`${"a".repeat(20_000)}b`));
  const policy = parsePolicy(
    JSON.stringify({ Statement: { Effect: "Allow", Action: `kms:${"*E".repeat(200)}*x`, Resource: "*", Condition: { StringLike: { "kms:EncryptionContext:t": pattern } } } }),
    "identity",
  );
  t.is(evaluatePolicy(policy, contextRequest("a".repeat(8000), `kms:${"E".repeat(5000)}`)).effect, "None");
  t.true(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test("a 32 KB key policy made of wildcards evaluates without throwing (V8 would overflow compiling it as a RegExp)", (t) => {
  const stars = `${"*a".repeat(16_000)}*`;
  const json = JSON.stringify({ Statement: { Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringLike: { "kms:EncryptionContext:t": stars } } } });
  t.true(Buffer.byteLength(json) <= 32_768);
  const policy = parsePolicy(json, "key");
  t.is(evaluatePolicy(policy, contextRequest("a".repeat(16_000))).effect, "Allow");
  t.is(evaluatePolicy(policy, contextRequest("a".repeat(15_999))).effect, "None");
  const questions = JSON.stringify({ Statement: { Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringLike: { "kms:EncryptionContext:t": `*${"?".repeat(16_000)}b*` } } } });
  const started = Date.now();
  t.is(evaluatePolicy(parsePolicy(questions, "key"), contextRequest("a".repeat(30_000))).effect, "None");
  const long = JSON.stringify({ Statement: { Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringLike: { "kms:EncryptionContext:t": `*${"a".repeat(4000)}b*` } } } });
  t.is(evaluatePolicy(parsePolicy(long, "key"), contextRequest("a".repeat(8192))).effect, "None");
  t.true(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
});

test("ARN patterns match component by component, as a reference does", (t) => {
  const reference = (pattern: string, value: string): boolean => {
    const p = pattern.split(":");
    const n = Math.min(6, p.length);
    const pp = [...p.slice(0, n - 1), p.slice(n - 1).join(":")];
    const v = value.split(":");
    if (v.length < n) return false;
    const vv = [...v.slice(0, n - 1), v.slice(n - 1).join(":")];
    return pp.every((seg, i) => globReference(seg, vv[i]!));
  };
  const unit = fc.constantFrom("a", ":", "*", "?", "/");
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 14 }), fc.string({ unit: fc.constantFrom("a", ":", "/", "b"), maxLength: 14 }), (pattern, value) => {
      t.is(compileArnPattern(pattern).matches(value), reference(pattern, value), `${pattern} vs ${value}`);
    }),
    { numRuns: 3000 },
  );
});

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

test("IP parsing agrees with the WHATWG URL parser, and CIDR matching with a BigInt reference", (t) => {
  const canonical = (text: string): string => new URL(`http://${text.includes(":") ? `[${text}]` : text}/`).hostname;
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
      const parsed = parseIpAddress(text);
      t.truthy(parsed, text);
      if (!parsed) return;
      const bytes = [...parsed.bytes];
      const rebuilt =
        parsed.version === 4
          ? bytes.join(".")
          : Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(":");
      t.is(canonical(rebuilt), canonical(text));
    }),
    { numRuns: 2000 },
  );
  const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4());
  const v6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6());
  fc.assert(
    fc.property(fc.oneof(v4, v6), fc.boolean(), ([network, prefix, address], near) => {
      const cidr = parseCidr(`${network}/${prefix}`)!;
      // Half the time, take an address inside the network by copying its first `prefix` bits.
      let candidate = parseIpAddress(address)!;
      if (near) {
        const bits = cidr.bytes.length * 8;
        const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
        const mixed = (bytesToBigInt(cidr.bytes) & mask) | (bytesToBigInt(candidate.bytes) & ~mask & ((1n << BigInt(bits)) - 1n));
        const out = new Uint8Array(cidr.bytes.length);
        for (let i = out.length - 1, n = mixed; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
        candidate = { version: cidr.version, bytes: out };
      }
      const bits = BigInt(cidr.bytes.length * 8);
      const shift = bits - BigInt(prefix);
      const expected = bytesToBigInt(cidr.bytes) >> shift === bytesToBigInt(candidate.bytes) >> shift;
      t.is(cidrContains(cidr, candidate), expected, `${network}/${prefix} vs ${[...candidate.bytes]}`);
      if (near) t.true(cidrContains(cidr, candidate));
      // An IPv4 address written as IPv4-mapped IPv6 (as dual-stack sockets report it) matches IPv4 networks alike.
      if (cidr.version === 4) t.is(cidrContains(cidr, parseIpAddress(`::ffff:${[...candidate.bytes].join(".")}`)!), expected);
    }),
    { numRuns: 3000 },
  );
});

test("Date values: ISO-8601 renderings and epoch seconds of an instant parse to that instant", (t) => {
  fc.assert(
    fc.property(fc.date({ min: new Date("0100-01-01T00:00:00Z"), max: new Date("9999-12-31T20:00:00Z"), noInvalidDate: true }), (date) => {
      const iso = date.toISOString();
      t.is(parseDateValue(iso), date.getTime());
      t.is(parseDateValue(iso.replace("Z", "+00:00")), date.getTime());
      t.is(parseDateValue(iso.replace(/\.\d{3}Z$/, "Z")), Math.floor(date.getTime() / 1000) * 1000);
      t.is(parseDateValue(String(Math.floor(date.getTime() / 1000))), Math.floor(date.getTime() / 1000) * 1000);
      const shifted = new Date(date.getTime() + 2 * 3600_000).toISOString().replace("Z", "+02:00");
      t.is(parseDateValue(shifted), date.getTime(), shifted);
    }),
    { numRuns: 1000 },
  );
});
