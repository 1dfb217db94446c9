import test from "ava";
import { KmsError } from "../server/errors/kms-error.js";
import { INVALID_PRINCIPALS, maxPolicyBytes, parsePolicy, PolicyCache, type PolicyKind } from "../server/policy/index.js";

const ACCT = "111122223333";
const ROOT = `arn:aws:iam::${ACCT}:root`;

/** A well-formed statement of the kind, to which a test adds or from which it removes members. */
function base(kind: PolicyKind): Record<string, unknown> {
  const statement: Record<string, unknown> = { Effect: "Allow", Action: "kms:Encrypt", Resource: "*" };
  if (kind === "key" || kind === "trust") statement["Principal"] = { AWS: ROOT };
  return statement;
}

function doc(statement: unknown, top: Record<string, unknown> = { Version: "2012-10-17" }): string {
  return JSON.stringify({ ...top, Statement: statement });
}

/** The reason parsePolicy gives, or "ok"; fails the test on anything but MalformedPolicyDocumentException. */
function reason(json: string, kind: PolicyKind): string {
  try {
    parsePolicy(json, kind);
    return "ok";
  } catch (error) {
    if (error instanceof KmsError && error.exception === "MalformedPolicyDocumentException") return error.message;
    throw error;
  }
}

const malformedRows: [title: string, kind: PolicyKind, json: string, fragment: string][] = [
  ["not JSON", "key", "{", "not valid JSON"],
  ["empty text", "key", "", "not valid JSON"],
  ["an array", "key", "[]", "must be a JSON object"],
  ["null", "identity", "null", "must be a JSON object"],
  ["no Statement", "key", JSON.stringify({ Version: "2012-10-17" }), "no Statement"],
  ["empty Statement array", "key", doc([]), "empty"],
  ["Statement a string", "key", doc("x"), "must be an object"],
  ["unknown top-level member", "key", JSON.stringify({ Version: "2012-10-17", Statement: base("key"), Extra: 1 }), 'unknown member "Extra"'],
  ["lowercase top-level member", "key", JSON.stringify({ version: "2012-10-17", Statement: base("key") }), "unknown member"],
  ["bad Version", "key", doc(base("key"), { Version: "2012-10-18" }), "Version"],
  ["numeric Version", "key", doc(base("key"), { Version: 2012 }), "Version"],
  ["non-string Id", "key", doc(base("key"), { Id: 5 }), "Id must be a string"],
  ["unknown statement member", "key", doc({ ...base("key"), Condtion: {} }), 'unknown member "Condtion"'],
  ["__proto__ member", "key", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","__proto__":{}}}`, "unknown member"],
  ["missing Effect", "key", doc({ ...base("key"), Effect: undefined }), "Effect"],
  ["lowercase Effect", "key", doc({ ...base("key"), Effect: "allow" }), "Effect"],
  ["no Action", "key", doc({ ...base("key"), Action: undefined }), "must have Action or NotAction"],
  ["Action and NotAction", "key", doc({ ...base("key"), NotAction: "kms:Decrypt" }), "both Action and NotAction"],
  ["empty Action array", "key", doc({ ...base("key"), Action: [] }), "empty"],
  ["Action of another service", "key", doc({ ...base("key"), Action: "s3:GetObject" }), "not a valid action"],
  ["Action without service", "key", doc({ ...base("key"), Action: "Encrypt" }), "not a valid action"],
  ["Action with a blank", "key", doc({ ...base("key"), Action: "kms:Encrypt " }), "not a valid action"],
  ["Action a number", "key", doc({ ...base("key"), Action: 5 }), "must be a string or an array"],
  ["Action array with a number", "key", doc({ ...base("key"), Action: ["kms:Encrypt", 5] }), "only strings"],
  ["Resource and NotResource", "identity", doc({ ...base("identity"), NotResource: "*" }), "both Resource and NotResource"],
  ["no Resource in an identity policy", "identity", doc({ ...base("identity"), Resource: undefined }), "must have Resource or NotResource"],
  ["no Resource in a session policy", "session", doc({ ...base("session"), Resource: undefined }), "must have Resource or NotResource"],
  ["Resource not an ARN", "identity", doc({ ...base("identity"), Resource: "my-key" }), 'must be "*" or an ARN'],
  ["empty Resource array", "identity", doc({ ...base("identity"), Resource: [] }), "empty"],
  ["no Principal in a key policy", "key", doc({ ...base("key"), Principal: undefined }), "must have Principal or NotPrincipal"],
  ["no Principal in a trust policy", "trust", doc({ ...base("trust"), Principal: undefined }), "must have Principal or NotPrincipal"],
  ["Principal and NotPrincipal", "key", doc({ ...base("key"), NotPrincipal: "*" }), "both Principal and NotPrincipal"],
  ["Principal in an identity policy", "identity", doc({ ...base("identity"), Principal: "*" }), "must not have Principal"],
  ["NotPrincipal in a session policy", "session", doc({ ...base("session"), NotPrincipal: "*" }), "must not have NotPrincipal"],
  ["non-unique Sid", "key", doc([{ ...base("key"), Sid: "A" }, { ...base("key"), Sid: "A" }]), "unique"],
  ["non-string Sid", "key", doc({ ...base("key"), Sid: 1 }), "Sid must be a string"],
  ["unknown operator", "key", doc({ ...base("key"), Condition: { StringEqualz: { "kms:CallerAccount": ACCT } } }), "unknown condition operator"],
  ["operator in the wrong case", "key", doc({ ...base("key"), Condition: { stringequals: { "kms:CallerAccount": ACCT } } }), "unknown condition operator"],
  ["NullIfExists", "key", doc({ ...base("key"), Condition: { NullIfExists: { "kms:CallerAccount": "true" } } }), "unknown condition operator"],
  ["bad set prefix", "key", doc({ ...base("key"), Condition: { "ForSomeValues:StringEquals": { "aws:TagKeys": "a" } } }), "unknown condition operator"],
  ["Condition an array", "key", doc({ ...base("key"), Condition: [] }), "Condition must be an object"],
  ["operator block a string", "key", doc({ ...base("key"), Condition: { StringEquals: "x" } }), "must map condition keys"],
  ["condition key without prefix", "key", doc({ ...base("key"), Condition: { StringEquals: { tenant: "x" } } }), "not a condition key"],
  ["condition value an object", "key", doc({ ...base("key"), Condition: { StringEquals: { "kms:CallerAccount": {} } } }), "must be a string, number, boolean"],
  ["condition value null", "key", doc({ ...base("key"), Condition: { StringEquals: { "kms:CallerAccount": null } } }), "must be a string, number, boolean"],
  ["empty condition value array", "key", doc({ ...base("key"), Condition: { StringEquals: { "kms:CallerAccount": [] } } }), "empty"],
  ["nested condition value array", "key", doc({ ...base("key"), Condition: { StringEquals: { "kms:CallerAccount": [["x"]] } } }), "strings, numbers or booleans"],
  ["Numeric value not a number", "key", doc({ ...base("key"), Condition: { NumericLessThan: { "kms:X": "ten" } } }), "needs numbers"],
  ["Numeric value hex", "key", doc({ ...base("key"), Condition: { NumericLessThan: { "kms:X": "0x10" } } }), "needs numbers"],
  ["Numeric value boolean", "key", doc({ ...base("key"), Condition: { NumericEquals: { "kms:X": true } } }), "needs numbers"],
  ["Numeric value out of range", "key", doc({ ...base("key"), Condition: { NumericEquals: { "kms:X": "1e999" } } }), "needs numbers"],
  ["Date value not a date", "key", doc({ ...base("key"), Condition: { DateLessThan: { "aws:CurrentTime": "tomorrow" } } }), "needs ISO-8601"],
  ["Date value with a bad month", "key", doc({ ...base("key"), Condition: { DateLessThan: { "aws:CurrentTime": "2020-13-01" } } }), "needs ISO-8601"],
  ["Date value 30 February", "key", doc({ ...base("key"), Condition: { DateLessThan: { "aws:CurrentTime": "2021-02-30T00:00:00Z" } } }), "needs ISO-8601"],
  ["Date value hour 24", "key", doc({ ...base("key"), Condition: { DateLessThan: { "aws:CurrentTime": "2021-02-03T24:00:00Z" } } }), "needs ISO-8601"],
  ["IpAddress value not an address", "key", doc({ ...base("key"), Condition: { IpAddress: { "aws:SourceIp": "10.0.0.256/8" } } }), "needs IPv4 or IPv6"],
  ["IpAddress prefix too long", "key", doc({ ...base("key"), Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/33" } } }), "needs IPv4 or IPv6"],
  ["IPv6 prefix too long", "key", doc({ ...base("key"), Condition: { NotIpAddress: { "aws:SourceIp": "2001:db8::/129" } } }), "needs IPv4 or IPv6"],
  ["IpAddress value a number", "key", doc({ ...base("key"), Condition: { IpAddress: { "aws:SourceIp": 10 } } }), "needs IPv4 or IPv6"],
  ["IPv6 with a zone", "key", doc({ ...base("key"), Condition: { IpAddress: { "aws:SourceIp": "fe80::1%eth0" } } }), "needs IPv4 or IPv6"],
  ["Bool value yes", "key", doc({ ...base("key"), Condition: { Bool: { "aws:SecureTransport": "yes" } } }), 'Bool needs "true" or "false"'],
  ["Bool value a number", "key", doc({ ...base("key"), Condition: { Bool: { "aws:SecureTransport": 1 } } }), 'Bool needs "true" or "false"'],
  ["Null value maybe", "key", doc({ ...base("key"), Condition: { Null: { "aws:SecureTransport": "maybe" } } }), 'Null needs "true" or "false"'],
  ["Arn value a number", "key", doc({ ...base("key"), Condition: { ArnLike: { "aws:PrincipalArn": 5 } } }), "needs ARN strings"],
];

for (const [title, kind, json, fragment] of malformedRows) {
  test(`malformed: ${title}`, (t) => {
    const message = reason(json, kind);
    t.not(message, "ok");
    t.true(message.includes(fragment), message);
  });
}

const badPrincipals: unknown[] = [
  "alice",
  "",
  ["*"],
  {},
  { AWS: [] },
  { AWS: "" },
  { AWS: 123456789012 },
  { AWS: "12345678901" },
  { AWS: "1234567890123" },
  { AWS: "arn:aws:iam::123:root" },
  { AWS: `arn:aws:iam::${ACCT}:group/admins` },
  { AWS: `arn:aws:iam::${ACCT}:user/` },
  { AWS: `arn:aws:iam::${ACCT}:user/*` },
  { AWS: `arn:aws:iam::${ACCT}:role/app*` },
  { AWS: `arn:aws:iam:us-east-1:${ACCT}:user/alice` },
  { AWS: `arn:aws:sts::${ACCT}:assumed-role/app` },
  { AWS: `arn:aws:sts::${ACCT}:assumed-role/app/s/extra` },
  { AWS: `arn:aws:kms:us-east-1:${ACCT}:key/abc` },
  { AWS: `arn:aws:iam::${ACCT}:root ` },
  { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" },
  { aws: ROOT },
  { AWS: { nested: ROOT } },
];

badPrincipals.forEach((principal, i) => {
  test(`malformed: invalid principal #${i} ${JSON.stringify(principal)}`, (t) => {
    t.is(reason(doc({ ...base("key"), Principal: principal }), "key"), INVALID_PRINCIPALS);
    t.is(reason(doc({ ...base("key"), Principal: undefined, NotPrincipal: principal }), "key"), INVALID_PRINCIPALS);
  });
});

const goodPrincipals: unknown[] = [
  "*",
  { AWS: "*" },
  { AWS: ACCT },
  { AWS: ROOT },
  { AWS: `arn:aws-cn:iam::${ACCT}:root` },
  { AWS: `arn:aws:iam::${ACCT}:user/alice` },
  { AWS: `arn:aws:iam::${ACCT}:user/division/team/dana+ops@example.com` },
  { AWS: `arn:aws:iam::${ACCT}:role/service-role/app_1` },
  { AWS: `arn:aws:sts::${ACCT}:assumed-role/app/session.name@x` },
  { AWS: [ACCT, ROOT, `arn:aws:iam::${ACCT}:user/alice`] },
  { Service: "ec2.amazonaws.com" },
  { Federated: ["cognito-identity.amazonaws.com", "arn:aws:iam::111122223333:saml-provider/idp"] },
  { AWS: ROOT, Service: "ec2.amazonaws.com" },
];

goodPrincipals.forEach((principal, i) => {
  test(`valid principal #${i} ${JSON.stringify(principal)}`, (t) => {
    t.is(reason(doc({ ...base("key"), Principal: principal }), "key"), "ok");
    t.is(reason(doc({ ...base("trust"), Principal: principal, Action: "sts:AssumeRole", Resource: undefined }), "trust"), "ok");
  });
});

const validRows: [title: string, kind: PolicyKind, json: string][] = [
  ["a single statement object", "key", doc(base("key"))],
  ["no Version (defaults to 2008-10-17)", "key", JSON.stringify({ Statement: base("key") })],
  ["Version 2008-10-17", "identity", doc(base("identity"), { Version: "2008-10-17" })],
  ["an Id", "key", doc(base("key"), { Version: "2012-10-17", Id: "key-default-1" })],
  ["a key-policy statement without Resource", "key", doc({ ...base("key"), Resource: undefined })],
  ["NotAction, NotResource, NotPrincipal", "key", doc({ Effect: "Deny", NotPrincipal: { AWS: ROOT }, NotAction: ["kms:Decrypt"], NotResource: "arn:aws:kms:*:*:key/*" })],
  ["wildcard actions in any case", "identity", doc({ ...base("identity"), Action: ["KMS:*", "Iam:Get?ser", "sts:*", "audit:*", "*"] })],
  ["Sids with spaces, distinct", "key", doc([{ ...base("key"), Sid: "Enable IAM User Permissions" }, { ...base("key"), Sid: "Allow use" }, base("key")])],
  [
    "every operator, with IfExists and set prefixes",
    "identity",
    doc({
      ...base("identity"),
      Condition: {
        StringEquals: { "kms:CallerAccount": [ACCT, 5, true] },
        "ForAnyValue:StringLikeIfExists": { "aws:TagKeys": "env*" },
        "ForAllValues:NumericLessThanEquals": { "kms:X": ["1", 2.5, "-3e2"] },
        DateGreaterThanIfExists: { "aws:CurrentTime": ["2020-01-01", "2020-01-01T10:00Z", "2020-01-01T10:00:00.123456+05:30", "1577836800", 1577836800.5] },
        BoolIfExists: { "aws:SecureTransport": [true, "FALSE"] },
        NotIpAddressIfExists: { "aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32", "::", "::ffff:1.2.3.4/128", "1.2.3.4"] },
        "ForAllValues:ArnNotLike": { "aws:PrincipalArn": "arn:aws:iam::*:role/*" },
        Null: { "kms:EncryptionContext:tenant": [true, "false"] },
        "ForAnyValue:Null": { "aws:TagKeys": "false" },
      },
    }),
  ],
];

for (const [title, kind, json] of validRows) {
  test(`valid: ${title}`, (t) => {
    t.is(reason(json, kind), "ok");
  });
}

/** A valid policy of the kind padded (in its Id) to exactly `bytes` UTF-8 bytes with `char`. */
function padded(kind: PolicyKind, bytes: number, char = "x"): string {
  const skeleton = JSON.stringify({ Statement: base(kind), Id: "" });
  const room = bytes - skeleton.length;
  const count = Math.floor(room / Buffer.byteLength(char));
  const json = JSON.stringify({ Statement: base(kind), Id: char.repeat(count) + "x".repeat(room - count * Buffer.byteLength(char)) });
  if (Buffer.byteLength(json) !== bytes) throw new Error(`padding to ${bytes} bytes failed`);
  return json;
}

test("size limits: 32768 UTF-8 bytes for key policies, 10240 for the others", (t) => {
  t.is(maxPolicyBytes("key"), 32768);
  t.is(reason(padded("key", 32768), "key"), "ok");
  t.is(reason(padded("key", 32769), "key"), "The policy is larger than 32768 bytes");
  for (const kind of ["identity", "trust", "session"] as const) {
    t.is(maxPolicyBytes(kind), 10240);
    t.is(reason(padded(kind, 10240), kind), "ok");
    t.is(reason(padded(kind, 10241), kind), "The policy is larger than 10240 bytes");
  }
  t.regex(reason("x".repeat(5_000_000), "key"), /larger than 32768 bytes/);
});

test("size limits count UTF-8 bytes, not characters", (t) => {
  const wide = padded("identity", 10241, "\u20ac"); // 3 bytes per character
  t.true(wide.length < 10240);
  t.is(reason(wide, "identity"), "The policy is larger than 10240 bytes");
  t.is(reason(padded("identity", 10240, "\u20ac"), "identity"), "ok");
});

test("error messages quote at most a short excerpt of the policy", (t) => {
  const secret = "s".repeat(500);
  const message = reason(doc({ ...base("key"), Action: `kms:${secret}!` }), "key");
  t.true(message.length < 120, message);
  t.false(message.includes("s".repeat(50)));
  const member = reason(doc({ ...base("key"), [secret]: 1 }), "key");
  t.true(member.length < 120, member);
});

test("deeply nested JSON is refused without a crash", (t) => {
  const deep = "[".repeat(16000) + "]".repeat(16000);
  t.regex(reason(deep, "key"), /must be a JSON object/);
  const deepInStatement = `{"Statement":${"[".repeat(5000)}${"]".repeat(5000)}}`;
  t.not(reason(deepInStatement, "key"), "ok");
  const deepCondition = doc({ ...base("key"), Condition: { StringEquals: { "kms:X": JSON.parse("[".repeat(3000) + "]".repeat(3000)) } } });
  t.regex(reason(deepCondition, "key"), /strings, numbers or booleans/);
});

test("non-string input and unknown kinds are refused with the same exception", (t) => {
  t.regex(reason(42 as unknown as string, "key"), /must be a string/);
  t.regex(reason(doc(base("key")), "resource" as PolicyKind), /Unknown policy kind/);
});

test("parsePolicy keeps Sids and indexes for reporting", (t) => {
  const p = parsePolicy(doc([{ ...base("key"), Sid: "First" }, base("key")], { Version: "2012-10-17", Id: "p1" }), "key");
  t.is(p.kind, "key");
  t.is(p.version, "2012-10-17");
  t.is(p.id, "p1");
  t.deepEqual(
    p.statements.map((s) => [s.index, s.sid]),
    [
      [0, "First"],
      [1, undefined],
    ],
  );
  t.is(parsePolicy(JSON.stringify({ Statement: base("key") }), "key").version, "2008-10-17");
});

// ---------------------------------------------------------------------------------------------
// PolicyCache

test("PolicyCache compiles each (kind, text) once and returns the same object", (t) => {
  const cache = new PolicyCache();
  const text = doc(base("key"));
  const a = cache.get(text, "key");
  t.is(cache.get(text, "key"), a);
  t.is(cache.size, 1);
  const identityText = doc(base("identity"));
  t.not(cache.get(identityText, "identity"), a);
  t.is(cache.size, 2);
  // The same text as another kind is another entry (and may be invalid for that kind).
  t.throws(() => cache.get(text, "identity"), { instanceOf: KmsError, message: /must not have Principal/ });
  t.is(cache.size, 2);
});

test("PolicyCache throws the parse error every time and never caches it", (t) => {
  const cache = new PolicyCache(10);
  for (let i = 0; i < 3; i++) {
    const error = t.throws(() => cache.get("{nope", "key"), { instanceOf: KmsError });
    t.is(error?.exception, "MalformedPolicyDocumentException");
  }
  t.is(cache.size, 0);
});

test("PolicyCache evicts the least recently used entry beyond its bound", (t) => {
  const cache = new PolicyCache(2);
  const texts = ["a", "b", "c"].map((id) => doc(base("key"), { Id: id }));
  const a = cache.get(texts[0]!, "key");
  const b = cache.get(texts[1]!, "key");
  t.is(cache.get(texts[0]!, "key"), a); // a is now the most recent
  cache.get(texts[2]!, "key"); // evicts b
  t.is(cache.size, 2);
  t.is(cache.get(texts[0]!, "key"), a);
  t.not(cache.get(texts[1]!, "key"), b); // recompiled
  t.is(cache.size, 2);
  t.is(new PolicyCache().maxEntries, 1000);
  t.throws(() => new PolicyCache(0), { instanceOf: RangeError });
});
