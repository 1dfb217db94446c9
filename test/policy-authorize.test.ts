import test from "ava";
import { defaultKeyPolicy } from "../server/domain/default-key-policy.js";
import {
  atLeastAsStrict,
  authorize,
  describeDenial,
  parsePolicy,
  wouldLockOut,
  type AccessRequest,
  type AuthorizationResult,
  type CompiledPolicy,
  type GrantRule,
  type Principal,
} from "../server/policy/index.js";

const ACCT = "111122223333";
const OTHER = "444455556666";
const ROOT = `arn:aws:iam::${ACCT}:root`;
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const alice: Principal = { arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, tags: {} };
const bob: Principal = { arn: `arn:aws:iam::${ACCT}:user/bob`, accountId: ACCT, tags: {} };
const rootUser: Principal = { arn: ROOT, accountId: ACCT, tags: {} };
const ADMIN_ROLE = `arn:aws:iam::${ACCT}:role/KeyAdmin`;
const APP_ROLE = `arn:aws:iam::${ACCT}:role/App`;
const admin: Principal = { arn: `arn:aws:sts::${ACCT}:assumed-role/KeyAdmin/ops`, accountId: ACCT, roleArn: ADMIN_ROLE, tags: {} };
const app: Principal = { arn: `arn:aws:sts::${ACCT}:assumed-role/App/worker-1`, accountId: ACCT, roleArn: APP_ROLE, tags: {} };
const carol: Principal = { arn: `arn:aws:iam::${OTHER}:user/carol`, accountId: OTHER, tags: {} };

type Statement = Record<string, unknown>;

function compile(kind: "key" | "identity" | "session", statements: Statement | Statement[]): CompiledPolicy {
  return parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), kind);
}

const ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];
const USER_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

/** The policy the AWS console writes: root, key administrators, key users, persistent resources. */
const consolePolicy = compile("key", [
  { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
  { Sid: "Allow access for Key Administrators", Effect: "Allow", Principal: { AWS: ADMIN_ROLE }, Action: ADMIN_ACTIONS, Resource: "*" },
  { Sid: "Allow use of the key", Effect: "Allow", Principal: { AWS: APP_ROLE }, Action: USER_ACTIONS, Resource: "*" },
  {
    Sid: "Allow attachment of persistent resources",
    Effect: "Allow",
    Principal: { AWS: APP_ROLE },
    Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    Resource: "*",
    Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
  },
]);

const defaultPolicy = parsePolicy(defaultKeyPolicy("aws", ACCT), "key");
const iamAllowAll = { name: "KmsFullAccess", policy: compile("identity", { Sid: "All", Effect: "Allow", Action: "kms:*", Resource: "*" }) };

interface Call {
  principal?: Principal;
  action?: string;
  resource?: string;
  context?: Record<string, string | string[]>;
  keyPolicy?: CompiledPolicy | null;
  keyAccount?: string;
  grants?: GrantRule[];
  encryptionContext?: Record<string, string>;
  identity?: { name: string; policy: CompiledPolicy }[];
  session?: CompiledPolicy;
}

function requestOf(call: Call): AccessRequest {
  return {
    principal: call.principal ?? alice,
    action: call.action ?? "kms:Encrypt",
    resource: call.resource ?? (call.keyPolicy === null ? "*" : KEY_ARN),
    context: new Map(Object.entries(call.context ?? {})),
  };
}

function authz(call: Call): AuthorizationResult {
  return authorize({
    request: requestOf(call),
    ...(call.keyPolicy === null
      ? {}
      : {
          key: {
            policy: call.keyPolicy ?? defaultPolicy,
            accountId: call.keyAccount ?? ACCT,
            grants: call.grants ?? [],
            ...(call.encryptionContext ? { encryptionContext: call.encryptionContext } : {}),
          },
        }),
    identityPolicies: call.identity ?? [],
    ...(call.session ? { sessionPolicy: call.session } : {}),
  });
}

function allowed(call: Call): boolean {
  return authz(call).allowed;
}

// ---------------------------------------------------------------------------------------------

test("default key policy + an IAM allow: allowed, decided by the root statement and the IAM statement", (t) => {
  const result = authz({ identity: [iamAllowAll] });
  t.deepEqual(result, {
    allowed: true,
    decidedBy: [
      { source: "key-policy", statement: { index: 0, sid: "Enable IAM User Permissions" } },
      { source: "identity-policy", name: "KmsFullAccess", statement: { index: 0, sid: "All" } },
    ],
  });
});

test("default key policy without an IAM allow: denied, no identity-based policy allows", (t) => {
  t.deepEqual(authz({}), { allowed: false, reason: "no-allow", missing: "identity-based" });
  const narrow = { name: "DecryptOnly", policy: compile("identity", { Effect: "Allow", Action: "kms:Decrypt", Resource: KEY_ARN }) };
  t.false(allowed({ identity: [narrow] }));
  t.true(allowed({ identity: [narrow], action: "kms:Decrypt" }));
  const otherKey = { name: "OtherKey", policy: compile("identity", { Effect: "Allow", Action: "kms:*", Resource: `arn:aws:kms:us-east-1:${ACCT}:key/other` }) };
  t.false(allowed({ identity: [otherKey] }));
});

test("the account root itself is allowed by the root statement without IAM policies", (t) => {
  t.deepEqual(authz({ principal: rootUser }), { allowed: true, decidedBy: [{ source: "key-policy", statement: { index: 0, sid: "Enable IAM User Permissions" } }] });
});

test("root statement removed: IAM allows are useless, a directly named user still works", (t) => {
  const policy = compile("key", { Sid: "Bob", Effect: "Allow", Principal: { AWS: bob.arn }, Action: "kms:*", Resource: "*" });
  t.deepEqual(authz({ keyPolicy: policy, identity: [iamAllowAll] }), { allowed: false, reason: "no-allow", missing: "resource-based" });
  t.deepEqual(authz({ keyPolicy: policy, principal: bob }), { allowed: true, decidedBy: [{ source: "key-policy", statement: { index: 0, sid: "Bob" } }] });
  t.false(allowed({ keyPolicy: policy, principal: rootUser }));
});

test("an IAM deny still applies when the key policy names the caller", (t) => {
  const policy = compile("key", { Effect: "Allow", Principal: { AWS: bob.arn }, Action: "kms:*", Resource: "*" });
  const denyEncrypt = { name: "NoEncrypt", policy: compile("identity", { Sid: "D", Effect: "Deny", Action: "kms:Encrypt", Resource: "*" }) };
  t.deepEqual(authz({ keyPolicy: policy, principal: bob, identity: [iamAllowAll, denyEncrypt] }), {
    allowed: false,
    reason: "explicit-deny",
    decidedBy: { source: "identity-policy", name: "NoEncrypt", statement: { index: 0, sid: "D" } },
  });
  t.true(allowed({ keyPolicy: policy, principal: bob, identity: [denyEncrypt], action: "kms:Decrypt" }));
});

const adminCan = ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:CreateGrant", "kms:CreateAlias", "kms:EnableKeyRotation", "kms:DisableKey", "kms:TagResource", "kms:UntagResource", "kms:ListResourceTags", "kms:UpdateKeyDescription", "kms:RevokeGrant", "kms:DeleteAlias"];
const adminCannot = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:Sign"];

for (const action of adminCan) {
  test(`key administrators (console policy) may ${action}`, (t) => {
    t.true(allowed({ keyPolicy: consolePolicy, principal: admin, action }));
  });
}
for (const action of adminCannot) {
  test(`key administrators (console policy) may not ${action}`, (t) => {
    t.deepEqual(authz({ keyPolicy: consolePolicy, principal: admin, action }), { allowed: false, reason: "no-allow", missing: "identity-based" });
  });
}

const userCan = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair", "kms:DescribeKey"];
const userCannot = ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:CreateAlias", "kms:TagResource", "kms:CreateGrant"];

for (const action of userCan) {
  test(`key users (console policy) may ${action}`, (t) => {
    const result = authz({ keyPolicy: consolePolicy, principal: app, action });
    t.deepEqual(result, { allowed: true, decidedBy: [{ source: "key-policy", statement: { index: 2, sid: "Allow use of the key" } }] });
  });
}
for (const action of userCannot) {
  test(`key users (console policy) may not ${action}`, (t) => {
    t.false(allowed({ keyPolicy: consolePolicy, principal: app, action }));
  });
}

test("key users may create grants for AWS resources only (persistent-resources statement)", (t) => {
  t.true(allowed({ keyPolicy: consolePolicy, principal: app, action: "kms:CreateGrant", context: { "kms:grantisforawsresource": "true" } }));
  t.false(allowed({ keyPolicy: consolePolicy, principal: app, action: "kms:CreateGrant", context: { "kms:grantisforawsresource": "false" } }));
  t.false(allowed({ keyPolicy: consolePolicy, principal: app, action: "kms:CreateGrant" }));
});

test("a key administrator with an IAM allow may use the key through the root statement", (t) => {
  t.true(allowed({ keyPolicy: consolePolicy, principal: admin, action: "kms:Encrypt", identity: [iamAllowAll] }));
});

// ---------------------------------------------------------------------------------------------
// Cross-account

const trustsOther = compile("key", [
  { Sid: "Root", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
  { Sid: "Other", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*" },
]);
const carolIam = { name: "CarolKms", policy: compile("identity", { Sid: "UseKey", Effect: "Allow", Action: "kms:Encrypt", Resource: KEY_ARN }) };

test("cross-account: the key policy AND the caller's IAM policy must both allow", (t) => {
  t.deepEqual(authz({ keyPolicy: trustsOther, principal: carol, identity: [carolIam] }), {
    allowed: true,
    decidedBy: [
      { source: "key-policy", statement: { index: 1, sid: "Other" } },
      { source: "identity-policy", name: "CarolKms", statement: { index: 0, sid: "UseKey" } },
    ],
  });
});

test("cross-account: the key policy alone is not enough", (t) => {
  t.deepEqual(authz({ keyPolicy: trustsOther, principal: carol }), { allowed: false, reason: "no-allow", missing: "identity-based" });
  const namesCarol = compile("key", { Effect: "Allow", Principal: { AWS: carol.arn }, Action: "kms:*", Resource: "*" });
  t.false(allowed({ keyPolicy: namesCarol, principal: carol }));
  t.true(allowed({ keyPolicy: namesCarol, principal: carol, identity: [carolIam] }));
  const everyone = compile("key", { Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*" });
  t.false(allowed({ keyPolicy: everyone, principal: carol }));
  t.true(allowed({ keyPolicy: everyone, principal: alice }));
});

test("cross-account: the caller's IAM policy alone is not enough", (t) => {
  t.deepEqual(authz({ principal: carol, identity: [carolIam] }), { allowed: false, reason: "no-allow", missing: "resource-based" });
  t.false(allowed({ keyPolicy: trustsOther, principal: carol, identity: [carolIam], action: "kms:ScheduleKeyDeletion" }));
});

test("cross-account: a key policy trusting the key's own account does not trust another", (t) => {
  t.false(allowed({ principal: carol, identity: [iamAllowAll] }));
});

// ---------------------------------------------------------------------------------------------
// Encryption-context conditions

test("an encryption-context condition allows one context and denies another", (t) => {
  const policy = compile("key", {
    Effect: "Allow",
    Principal: { AWS: APP_ROLE },
    Action: "kms:Decrypt",
    Resource: "*",
    Condition: { StringEquals: { "kms:EncryptionContext:tenant": "acme" } },
  });
  t.true(allowed({ keyPolicy: policy, principal: app, action: "kms:Decrypt", context: { "kms:encryptioncontext:tenant": "acme" } }));
  t.false(allowed({ keyPolicy: policy, principal: app, action: "kms:Decrypt", context: { "kms:encryptioncontext:tenant": "beta" } }));
  t.false(allowed({ keyPolicy: policy, principal: app, action: "kms:Decrypt" }));
});

test("a Deny unless the context has a tenant key applies to every path", (t) => {
  const policy = compile("key", [
    { Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
    { Sid: "RequireTenant", Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { Null: { "kms:EncryptionContext:tenant": "true" } } },
  ]);
  t.deepEqual(authz({ keyPolicy: policy, identity: [iamAllowAll], action: "kms:Decrypt" }), {
    allowed: false,
    reason: "explicit-deny",
    decidedBy: { source: "key-policy", statement: { index: 1, sid: "RequireTenant" } },
  });
  t.true(allowed({ keyPolicy: policy, identity: [iamAllowAll], action: "kms:Decrypt", context: { "kms:encryptioncontext:tenant": "x" } }));
});

// ---------------------------------------------------------------------------------------------
// Grants

const noAccess = compile("key", { Effect: "Allow", Principal: { AWS: bob.arn }, Action: "kms:DescribeKey", Resource: "*" });
const decryptGrant: GrantRule = { grantId: "g-1", granteePrincipal: alice.arn, operations: ["Decrypt", "GenerateDataKey"] };

test("a grant allows its grantee its operations only", (t) => {
  t.deepEqual(authz({ keyPolicy: noAccess, grants: [decryptGrant], action: "kms:Decrypt" }), { allowed: true, decidedBy: [{ source: "grant", grantId: "g-1" }] });
  t.true(allowed({ keyPolicy: noAccess, grants: [decryptGrant], action: "kms:GenerateDataKey" }));
  t.false(allowed({ keyPolicy: noAccess, grants: [decryptGrant], action: "kms:Encrypt" }));
  t.false(allowed({ keyPolicy: noAccess, grants: [decryptGrant], action: "kms:GenerateDataKeyWithoutPlaintext" }));
  t.false(allowed({ keyPolicy: noAccess, grants: [decryptGrant], action: "kms:Decrypt", principal: bob }));
  t.false(allowed({ keyPolicy: noAccess, grants: [decryptGrant], action: "iam:Decrypt" }));
});

test("a grant to a role covers its sessions; a grant to a session covers that session only", (t) => {
  const toRole: GrantRule = { grantId: "g-role", granteePrincipal: APP_ROLE, operations: ["Encrypt"] };
  t.true(allowed({ keyPolicy: noAccess, grants: [toRole], principal: app }));
  const toSession: GrantRule = { grantId: "g-s", granteePrincipal: app.arn, operations: ["Encrypt"] };
  t.true(allowed({ keyPolicy: noAccess, grants: [toSession], principal: app }));
  t.false(allowed({ keyPolicy: noAccess, grants: [toSession], principal: { ...app, arn: `arn:aws:sts::${ACCT}:assumed-role/App/worker-2` } }));
});

test("grant constraints: EncryptionContextSubset needs every pair, EncryptionContextEquals the exact context", (t) => {
  const subset: GrantRule = { ...decryptGrant, grantId: "sub", constraints: { encryptionContextSubset: { tenant: "acme" } } };
  const call = { keyPolicy: noAccess, action: "kms:Decrypt", grants: [subset] };
  t.true(allowed({ ...call, encryptionContext: { tenant: "acme", purpose: "x" } }));
  t.true(allowed({ ...call, encryptionContext: { tenant: "acme" } }));
  t.false(allowed({ ...call, encryptionContext: { tenant: "beta" } }));
  // As AWS says: in a constraint the key is not case sensitive, the value is.
  t.true(allowed({ ...call, encryptionContext: { Tenant: "acme" } }));
  t.false(allowed({ ...call, encryptionContext: { tenant: "ACME" } }));
  t.false(allowed(call));
  const equals: GrantRule = { ...decryptGrant, grantId: "eq", constraints: { encryptionContextEquals: { tenant: "acme" } } };
  t.true(allowed({ ...call, grants: [equals], encryptionContext: { tenant: "acme" } }));
  t.false(allowed({ ...call, grants: [equals], encryptionContext: { tenant: "acme", purpose: "x" } }));
  t.false(allowed({ ...call, grants: [equals], encryptionContext: {} }));
  t.true(allowed({ ...call, grants: [equals], encryptionContext: { TENANT: "acme" } }));
  const twice: GrantRule = { ...decryptGrant, grantId: "eq2", constraints: { encryptionContextEquals: { app: "1", APP: "1" } } };
  t.false(allowed({ ...call, grants: [twice], encryptionContext: { app: "1", evil: "x" } }), "keys differing only in case do not stand in for other keys");
  t.false(allowed({ ...call, grants: [equals], encryptionContext: { tenant: "acme", TENANT: "beta" } }), "nor add pairs");
  const emptyEquals: GrantRule = { ...decryptGrant, grantId: "eq0", constraints: { encryptionContextEquals: {} } };
  t.true(allowed({ ...call, grants: [emptyEquals] }));
  t.false(allowed({ ...call, grants: [emptyEquals], encryptionContext: { a: "b" } }));
  // Own properties only: an inherited "toString" is no pair of the context.
  const proto: GrantRule = { ...decryptGrant, grantId: "proto", constraints: { encryptionContextSubset: { toString: "x" } } };
  t.false(allowed({ ...call, grants: [proto], encryptionContext: {} }));
});

test("grant constraints apply only to operations that take an encryption context, as in AWS", (t) => {
  const grant: GrantRule = { grantId: "c", granteePrincipal: alice.arn, operations: ["Decrypt", "ReEncryptTo", "DescribeKey", "CreateGrant", "RetireGrant"], constraints: { encryptionContextEquals: { tenant: "acme" } } };
  const call = { keyPolicy: noAccess, grants: [grant] };
  for (const action of ["kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"]) t.true(allowed({ ...call, action }), action);
  for (const action of ["kms:Decrypt", "kms:ReEncryptTo"]) {
    t.false(allowed({ ...call, action }), action);
    t.true(allowed({ ...call, action, encryptionContext: { tenant: "acme" } }), action);
  }
});

test("a grant made through a grant has constraints at least as strict as its parent's", (t) => {
  const subset = (pairs: Record<string, string>) => ({ encryptionContextSubset: pairs });
  const equals = (pairs: Record<string, string>) => ({ encryptionContextEquals: pairs });
  t.true(atLeastAsStrict(undefined, undefined));
  t.true(atLeastAsStrict(undefined, subset({ a: "1" })));
  t.true(atLeastAsStrict(subset({ a: "1" }), subset({ a: "1" })));
  t.true(atLeastAsStrict(subset({ a: "1" }), subset({ A: "1", b: "2" })), "more pairs; keys in any case");
  t.true(atLeastAsStrict(subset({ a: "1" }), equals({ a: "1", b: "2" })), "Subset to Equals holding its pairs");
  t.false(atLeastAsStrict(subset({ a: "1" }), undefined));
  t.false(atLeastAsStrict(subset({ a: "1" }), subset({ b: "2" })));
  t.false(atLeastAsStrict(subset({ a: "1" }), subset({ a: "2" })), "values are case sensitive and must match");
  t.true(atLeastAsStrict(equals({ a: "1" }), equals({ a: "1" })));
  t.false(atLeastAsStrict(equals({ a: "1" }), equals({ a: "1", b: "2" })));
  t.false(atLeastAsStrict(equals({ a: "1" }), subset({ a: "1", b: "2" })), "Equals never loosens to Subset");
  t.false(atLeastAsStrict(equals({ a: "1" }), undefined));
});

test("the first matching grant is reported; grants never deny", (t) => {
  const other: GrantRule = { grantId: "g-0", granteePrincipal: bob.arn, operations: ["Decrypt"] };
  const second: GrantRule = { grantId: "g-2", granteePrincipal: alice.arn, operations: ["Decrypt"] };
  t.deepEqual(authz({ keyPolicy: noAccess, grants: [other, decryptGrant, second], action: "kms:Decrypt" }), { allowed: true, decidedBy: [{ source: "grant", grantId: "g-1" }] });
  const denying = compile("key", { Sid: "NoDecrypt", Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*" });
  t.like(authz({ keyPolicy: denying, grants: [decryptGrant], action: "kms:Decrypt" }), { allowed: false, reason: "explicit-deny" });
  const iamDeny = { name: "Deny", policy: compile("identity", { Effect: "Deny", Action: "kms:Decrypt", Resource: "*" }) };
  t.like(authz({ keyPolicy: noAccess, grants: [decryptGrant], action: "kms:Decrypt", identity: [iamDeny] }), { allowed: false, reason: "explicit-deny" });
});

test("a grant allows a grantee of another account", (t) => {
  const toCarol: GrantRule = { grantId: "g-x", granteePrincipal: carol.arn, operations: ["Decrypt"] };
  t.true(allowed({ keyPolicy: noAccess, grants: [toCarol], principal: carol, action: "kms:Decrypt" }));
});

// ---------------------------------------------------------------------------------------------
// Session policies

const decryptOnlySession = compile("session", { Sid: "DecryptOnly", Effect: "Allow", Action: "kms:Decrypt", Resource: "*" });

test("a session policy narrows what the role's IAM policy allows", (t) => {
  t.deepEqual(authz({ principal: app, identity: [iamAllowAll], session: decryptOnlySession, action: "kms:Decrypt" }), {
    allowed: true,
    decidedBy: [
      { source: "key-policy", statement: { index: 0, sid: "Enable IAM User Permissions" } },
      { source: "identity-policy", name: "KmsFullAccess", statement: { index: 0, sid: "All" } },
      { source: "session-policy", statement: { index: 0, sid: "DecryptOnly" } },
    ],
  });
  t.deepEqual(authz({ principal: app, identity: [iamAllowAll], session: decryptOnlySession, action: "kms:Encrypt" }), { allowed: false, reason: "no-allow", missing: "session" });
  t.true(allowed({ principal: app, identity: [iamAllowAll], action: "kms:Encrypt" }));
});

test("a session policy alone grants nothing", (t) => {
  t.deepEqual(authz({ principal: app, session: decryptOnlySession, action: "kms:Decrypt" }), { allowed: false, reason: "no-allow", missing: "identity-based" });
});

test("a session policy narrows a key policy naming the role, not one naming the exact session", (t) => {
  t.false(allowed({ keyPolicy: consolePolicy, principal: app, session: decryptOnlySession, action: "kms:Encrypt" }));
  t.true(allowed({ keyPolicy: consolePolicy, principal: app, session: decryptOnlySession, action: "kms:Decrypt" }));
  const namesSession = compile("key", { Sid: "Session", Effect: "Allow", Principal: { AWS: app.arn }, Action: "kms:*", Resource: "*" });
  t.deepEqual(authz({ keyPolicy: namesSession, principal: app, session: decryptOnlySession, action: "kms:Encrypt" }), {
    allowed: true,
    decidedBy: [{ source: "key-policy", statement: { index: 0, sid: "Session" } }],
  });
});

test("a session policy narrows grants too", (t) => {
  const toRole: GrantRule = { grantId: "g-role", granteePrincipal: APP_ROLE, operations: ["Encrypt", "Decrypt"] };
  t.false(allowed({ keyPolicy: noAccess, grants: [toRole], principal: app, session: decryptOnlySession }));
  t.deepEqual(authz({ keyPolicy: noAccess, grants: [toRole], principal: app, session: decryptOnlySession, action: "kms:Decrypt" }), {
    allowed: true,
    decidedBy: [{ source: "grant", grantId: "g-role" }, { source: "session-policy", statement: { index: 0, sid: "DecryptOnly" } }],
  });
});

test("an explicit deny in the session policy denies even the exact-session key statement", (t) => {
  const namesSession = compile("key", { Effect: "Allow", Principal: { AWS: app.arn }, Action: "kms:*", Resource: "*" });
  const session = compile("session", [
    { Effect: "Allow", Action: "kms:*", Resource: "*" },
    { Sid: "NoEncrypt", Effect: "Deny", Action: "kms:Encrypt", Resource: "*" },
  ]);
  t.deepEqual(authz({ keyPolicy: namesSession, principal: app, session }), {
    allowed: false,
    reason: "explicit-deny",
    decidedBy: { source: "session-policy", statement: { index: 1, sid: "NoEncrypt" } },
  });
});

// ---------------------------------------------------------------------------------------------
// Explicit deny and key-less actions

test("an explicit deny in IAM beats a key-policy allow that names the caller", (t) => {
  const denyAll = { name: "DenyAll", policy: compile("identity", { Effect: "Deny", Action: "kms:*", Resource: "*" }) };
  t.deepEqual(authz({ keyPolicy: consolePolicy, principal: app, identity: [iamAllowAll, denyAll] }), {
    allowed: false,
    reason: "explicit-deny",
    decidedBy: { source: "identity-policy", name: "DenyAll", statement: { index: 0 } },
  });
});

test("an explicit deny in the key policy beats an IAM allow", (t) => {
  const policy = compile("key", [
    { Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
    { Sid: "NoAlice", Effect: "Deny", Principal: { AWS: alice.arn }, Action: "kms:*", Resource: "*" },
  ]);
  t.like(authz({ keyPolicy: policy, identity: [iamAllowAll] }), { allowed: false, reason: "explicit-deny", decidedBy: { source: "key-policy" } });
  t.true(allowed({ keyPolicy: policy, principal: bob, identity: [iamAllowAll] }));
});

test("key-less actions are authorized by IAM alone", (t) => {
  const listKeys = { name: "List", policy: compile("identity", { Sid: "L", Effect: "Allow", Action: ["kms:ListKeys", "kms:ListAliases", "kms:CreateKey"], Resource: "*" }) };
  t.deepEqual(authz({ keyPolicy: null, action: "kms:ListKeys", identity: [listKeys] }), {
    allowed: true,
    decidedBy: [{ source: "identity-policy", name: "List", statement: { index: 0, sid: "L" } }],
  });
  t.true(allowed({ keyPolicy: null, action: "kms:CreateKey", identity: [listKeys] }));
  t.deepEqual(authz({ keyPolicy: null, action: "kms:GenerateRandom", identity: [listKeys] }), { allowed: false, reason: "no-allow", missing: "identity-based" });
  t.false(allowed({ keyPolicy: null, action: "kms:ListKeys" }));
  t.false(allowed({ keyPolicy: null, action: "kms:ListKeys", principal: rootUser }));
  const keyScoped = { name: "Scoped", policy: compile("identity", { Effect: "Allow", Action: "kms:*", Resource: `arn:aws:kms:*:${ACCT}:key/*` }) };
  t.false(allowed({ keyPolicy: null, action: "kms:ListKeys", identity: [keyScoped] }));
  t.true(allowed({ keyPolicy: null, action: "iam:CreateUser", identity: [iamAllowAll, { name: "Iam", policy: compile("identity", { Effect: "Allow", Action: "iam:*", Resource: "*" }) }] }));
  t.false(allowed({ keyPolicy: null, action: "iam:CreateUser", identity: [iamAllowAll] }));
});

test("key-less actions: a session policy narrows, an IAM deny denies", (t) => {
  t.deepEqual(authz({ keyPolicy: null, action: "kms:ListKeys", principal: app, identity: [iamAllowAll], session: decryptOnlySession }), {
    allowed: false,
    reason: "no-allow",
    missing: "session",
  });
  const session = compile("session", { Effect: "Allow", Action: "kms:List*", Resource: "*" });
  t.true(allowed({ keyPolicy: null, action: "kms:ListKeys", principal: app, identity: [iamAllowAll], session }));
  const deny = { name: "NoCreate", policy: compile("identity", { Effect: "Deny", Action: "kms:CreateKey", Resource: "*" }) };
  t.like(authz({ keyPolicy: null, action: "kms:CreateKey", identity: [iamAllowAll, deny] }), { allowed: false, reason: "explicit-deny", decidedBy: { source: "identity-policy", name: "NoCreate" } });
});

// ---------------------------------------------------------------------------------------------
// describeDenial

test("describeDenial words a missing allow as AWS does", (t) => {
  const keyless: Call = { keyPolicy: null, action: "kms:ListKeys" };
  const noIdentity = authz(keyless);
  if (noIdentity.allowed) return t.fail();
  t.is(
    describeDenial(noIdentity, requestOf(keyless)),
    `User: ${alice.arn} is not authorized to perform: kms:ListKeys on resource: * because no identity-based policy allows the kms:ListKeys action`,
  );
  const noKeyPolicy: Call = { keyPolicy: noAccess, action: "kms:Decrypt" };
  const denied = authz(noKeyPolicy);
  if (denied.allowed) return t.fail();
  t.is(
    describeDenial(denied, requestOf(noKeyPolicy)),
    `User: ${alice.arn} is not authorized to perform: kms:Decrypt on resource: ${KEY_ARN} because no resource-based policy allows the kms:Decrypt action`,
  );
  const session: Call = { principal: app, identity: [iamAllowAll], session: decryptOnlySession };
  const sessionDenied = authz(session);
  if (sessionDenied.allowed) return t.fail();
  t.is(
    describeDenial(sessionDenied, requestOf(session)),
    `User: ${app.arn} is not authorized to perform: kms:Encrypt on resource: ${KEY_ARN} because no session policy allows the kms:Encrypt action`,
  );
});

test("describeDenial words an explicit deny as AWS does, without policy contents", (t) => {
  const secretSid = "SecretStatementName";
  const keyDeny = compile("key", { Sid: secretSid, Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" });
  const byKey = authz({ keyPolicy: keyDeny });
  if (byKey.allowed) return t.fail();
  const message = describeDenial(byKey, requestOf({}));
  t.is(message, `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${KEY_ARN} with an explicit deny in a resource-based policy`);
  t.false(message.includes(secretSid));
  const iamDeny = { name: "SecretPolicyName", policy: compile("identity", { Effect: "Deny", Action: "kms:*", Resource: "*" }) };
  const byIam = authz({ identity: [iamDeny] });
  if (byIam.allowed) return t.fail();
  const iamMessage = describeDenial(byIam, requestOf({}));
  t.is(iamMessage, `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${KEY_ARN} with an explicit deny in an identity-based policy`);
  t.false(iamMessage.includes("SecretPolicyName"));
  const sessionDeny = compile("session", { Effect: "Deny", Action: "kms:*", Resource: "*" });
  const bySession = authz({ principal: app, identity: [iamAllowAll], session: sessionDeny });
  if (bySession.allowed) return t.fail();
  t.is(
    describeDenial(bySession, requestOf({ principal: app })),
    `User: ${app.arn} is not authorized to perform: kms:Encrypt on resource: ${KEY_ARN} with an explicit deny in a session policy`,
  );
});

// ---------------------------------------------------------------------------------------------
// wouldLockOut

const noPolicies: { name: string; policy: CompiledPolicy }[] = [];

test("wouldLockOut: false while the root statement and the caller's IAM policy keep PutKeyPolicy", (t) => {
  t.false(wouldLockOut(defaultPolicy, alice, [iamAllowAll], KEY_ARN, ACCT));
  t.false(wouldLockOut(defaultPolicy, rootUser, noPolicies, KEY_ARN, ACCT));
});

test("wouldLockOut: true when the new policy drops the root statement and does not name the caller", (t) => {
  const bobOnly = compile("key", { Effect: "Allow", Principal: { AWS: bob.arn }, Action: "kms:*", Resource: "*" });
  t.true(wouldLockOut(bobOnly, alice, [iamAllowAll], KEY_ARN, ACCT));
  t.false(wouldLockOut(bobOnly, bob, noPolicies, KEY_ARN, ACCT));
});

test("wouldLockOut: true when the caller's IAM policies do not allow PutKeyPolicy under a root-only policy", (t) => {
  t.true(wouldLockOut(defaultPolicy, alice, noPolicies, KEY_ARN, ACCT));
  const encryptOnly = { name: "E", policy: compile("identity", { Effect: "Allow", Action: "kms:Encrypt", Resource: "*" }) };
  t.true(wouldLockOut(defaultPolicy, alice, [encryptOnly], KEY_ARN, ACCT));
});

test("wouldLockOut: a policy that names the caller for kms:PutKeyPolicy (or kms:Put*) keeps access", (t) => {
  const putOnly = compile("key", { Effect: "Allow", Principal: { AWS: alice.arn }, Action: "kms:PutKeyPolicy", Resource: "*" });
  t.false(wouldLockOut(putOnly, alice, noPolicies, KEY_ARN, ACCT));
  t.false(wouldLockOut(consolePolicy, admin, noPolicies, KEY_ARN, ACCT));
  t.true(wouldLockOut(consolePolicy, app, noPolicies, KEY_ARN, ACCT));
});

test("wouldLockOut: an explicit deny of PutKeyPolicy for the caller locks out", (t) => {
  const denyPut = compile("key", [
    { Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
    { Effect: "Deny", Principal: { AWS: alice.arn }, Action: "kms:PutKeyPolicy", Resource: "*" },
  ]);
  t.true(wouldLockOut(denyPut, alice, [iamAllowAll], KEY_ARN, ACCT));
  t.false(wouldLockOut(denyPut, bob, [iamAllowAll], KEY_ARN, ACCT));
});

test("wouldLockOut: conditions are judged against the given context; a session policy narrows", (t) => {
  const onlyFromVpn = compile("key", {
    Effect: "Allow",
    Principal: { AWS: alice.arn },
    Action: "kms:*",
    Resource: "*",
    Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
  });
  t.true(wouldLockOut(onlyFromVpn, alice, noPolicies, KEY_ARN, ACCT));
  t.false(wouldLockOut(onlyFromVpn, alice, noPolicies, KEY_ARN, ACCT, { context: new Map([["aws:sourceip", "10.1.2.3"]]) }));
  t.true(wouldLockOut(consolePolicy, admin, noPolicies, KEY_ARN, ACCT, { sessionPolicy: decryptOnlySession }));
});

test("a role's trust policy decides sts:AssumeRole as a key policy decides on a key: naming a caller of its account suffices, naming the account or a foreign caller needs IAM too", (t) => {
  const ROLE = `arn:aws:iam::${ACCT}:role/Deployer`;
  const trust = (statements: Statement | Statement[]) => parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), "trust");
  const names = (principal: string, effect = "Allow") => ({ Effect: effect, Principal: { AWS: principal }, Action: "sts:AssumeRole" });
  const iamAllow = [{ name: "assume", policy: compile("identity", { Effect: "Allow", Action: "sts:AssumeRole", Resource: ROLE }) }];
  const decide = (principal: Principal, trustPolicy: CompiledPolicy, identityPolicies: typeof iamAllow = []) =>
    authorize({ request: { principal, action: "sts:AssumeRole", resource: ROLE, context: new Map() }, role: { trustPolicy, accountId: ACCT }, identityPolicies });

  t.deepEqual(decide(alice, trust(names(alice.arn))), { allowed: true, decidedBy: [{ source: "trust-policy", statement: { index: 0 } }] });
  t.deepEqual(decide(alice, trust(names(ROOT))), { allowed: false, reason: "no-allow", missing: "identity-based" });
  t.true(decide(alice, trust(names(ROOT)), iamAllow).allowed);
  t.deepEqual(decide(bob, trust(names(alice.arn)), iamAllow), { allowed: false, reason: "no-allow", missing: "resource-based" }, "IAM alone never does");
  t.deepEqual(decide(carol, trust(names(carol.arn))), { allowed: false, reason: "no-allow", missing: "identity-based" }, "another account's caller needs its own IAM allow");
  t.true(decide(carol, trust(names(OTHER)), iamAllow).allowed);
  const denied = decide(alice, trust([names(ROOT), names(alice.arn, "Deny")]), iamAllow);
  t.deepEqual(denied, { allowed: false, reason: "explicit-deny", decidedBy: { source: "trust-policy", statement: { index: 1 } } });
  t.regex(describeDenial(denied as Extract<AuthorizationResult, { allowed: false }>, { principal: alice, action: "sts:AssumeRole", resource: ROLE, context: new Map() }), /explicit deny in a resource-based policy$/);
  const trustsNoOne: CompiledPolicy = { kind: "trust", version: "2012-10-17", statements: [] };
  t.deepEqual(decide(alice, trustsNoOne, iamAllow), { allowed: false, reason: "no-allow", missing: "resource-based" }, "as a role that does not exist is decided");
});
