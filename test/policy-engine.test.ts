import test from "ava";
import { evaluatePolicy, parsePolicy, type AccessRequest, type CompiledPolicy, type PolicyKind, type Principal } from "../server/policy/index.js";

const ACCT = "111122223333";
const OTHER = "444455556666";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY_ARN = `arn:aws:kms:us-east-1:${ACCT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;

const alice: Principal = { arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, tags: {} };
const bob: Principal = { arn: `arn:aws:iam::${ACCT}:user/bob`, accountId: ACCT, tags: {} };
const pathUser: Principal = { arn: `arn:aws:iam::${ACCT}:user/division/team/dana`, accountId: ACCT, tags: {} };
const root: Principal = { arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, tags: {} };
const appSession: Principal = {
  arn: `arn:aws:sts::${ACCT}:assumed-role/app/session-1`,
  accountId: ACCT,
  roleArn: `arn:aws:iam::${ACCT}:role/app`,
  tags: {},
};
const appSession2: Principal = { ...appSession, arn: `arn:aws:sts::${ACCT}:assumed-role/app/session-2` };
const otherRoleSession: Principal = {
  arn: `arn:aws:sts::${ACCT}:assumed-role/batch/session-1`,
  accountId: ACCT,
  roleArn: `arn:aws:iam::${ACCT}:role/batch`,
  tags: {},
};
const carol: Principal = { arn: `arn:aws:iam::${OTHER}:user/carol`, accountId: OTHER, tags: {} };

type ContextInput = Record<string, string | string[]>;

function request(overrides: { principal?: Principal; action?: string; resource?: string; context?: ContextInput } = {}): AccessRequest {
  return {
    principal: overrides.principal ?? alice,
    action: overrides.action ?? "kms:Encrypt",
    resource: overrides.resource ?? KEY_ARN,
    context: new Map(Object.entries(overrides.context ?? {})),
  };
}

function policy(kind: PolicyKind, statements: unknown): CompiledPolicy {
  return parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), kind);
}

function effectOf(compiled: CompiledPolicy, req: AccessRequest): "Allow" | "Deny" | "None" {
  return evaluatePolicy(compiled, req).effect;
}

// ---------------------------------------------------------------------------------------------
// Condition operators. Each row: operator, key, policy value(s), request value(s) (undefined =
// missing from the context), whether the condition holds. Every row is checked in an Allow and in
// a Deny statement of an identity policy.

type Row = readonly [operator: string, key: string, policyValue: unknown, requestValue: string | string[] | undefined, holds: boolean];

const rows: Row[] = [
  // StringEquals / StringNotEquals (single-valued, case-sensitive)
  ["StringEquals", "kms:EncryptionContext:tenant", "acme", "acme", true],
  ["StringEquals", "kms:EncryptionContext:tenant", "acme", "ACME", false],
  ["StringEquals", "kms:EncryptionContext:tenant", "acme", undefined, false],
  ["StringEquals", "kms:EncryptionContext:tenant", ["beta", "acme"], "acme", true],
  ["StringEquals", "kms:EncryptionContext:tenant", ["beta", "gamma"], "acme", false],
  ["StringEquals", "kms:EncryptionContextKeys", "tenant", ["app", "tenant"], true],
  ["StringEquals", "kms:EncryptionContextKeys", "tenant", ["app", "region"], false],
  ["StringEquals", "kms:CallerAccount", ACCT, ACCT, true],
  ["StringEquals", "kms:CallerAccount", Number(ACCT), ACCT, true],
  ["StringEquals", "kms:KeySpec", "SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT", true],
  ["StringEquals", "kms:KeyUsage", "ENCRYPT_DECRYPT", "SIGN_VERIFY", false],
  ["StringEquals", "kms:KeyOrigin", "AWS_KMS", "AWS_KMS", true],
  ["StringEquals", "kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256", false],
  ["StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com", true],
  ["StringEquals", "aws:PrincipalAccount", ACCT, OTHER, false],
  ["StringEquals", "aws:PrincipalTag/team", "payments", "payments", true],
  ["StringEquals", "aws:ResourceTag/env", "prod", "dev", false],
  ["StringEquals", "aws:RequestTag/env", "prod", "prod", true],
  ["StringNotEquals", "kms:EncryptionContext:tenant", "acme", "acme", false],
  ["StringNotEquals", "kms:EncryptionContext:tenant", "acme", "beta", true],
  ["StringNotEquals", "kms:EncryptionContext:tenant", "acme", undefined, true],
  ["StringNotEquals", "kms:EncryptionContext:tenant", ["acme", "beta"], "beta", false],
  ["StringNotEquals", "kms:EncryptionContextKeys", "tenant", ["app", "tenant"], false],
  ["StringNotEquals", "kms:EncryptionContextKeys", "tenant", ["app", "region"], true],
  ["StringNotEquals", "aws:PrincipalAccount", ACCT, OTHER, true],
  // IgnoreCase
  ["StringEqualsIgnoreCase", "kms:KeySpec", "symmetric_default", "SYMMETRIC_DEFAULT", true],
  ["StringEqualsIgnoreCase", "kms:KeySpec", "symmetric_default", "RSA_2048", false],
  ["StringEqualsIgnoreCase", "kms:KeySpec", "symmetric_default", undefined, false],
  ["StringNotEqualsIgnoreCase", "kms:KeySpec", "Symmetric_Default", "SYMMETRIC_DEFAULT", false],
  ["StringNotEqualsIgnoreCase", "kms:KeySpec", "Symmetric_Default", "RSA_2048", true],
  ["StringNotEqualsIgnoreCase", "kms:KeySpec", "Symmetric_Default", undefined, true],
  // StringLike / StringNotLike ("*" any run, "?" one character, case-sensitive)
  ["StringLike", "kms:RequestAlias", "alias/app-*", "alias/app-prod", true],
  ["StringLike", "kms:RequestAlias", "alias/app-*", "alias/app-", true],
  ["StringLike", "kms:RequestAlias", "alias/app-*", "alias/App-prod", false],
  ["StringLike", "kms:RequestAlias", "alias/app-*", "alias/db", false],
  ["StringLike", "kms:RequestAlias", "alias/v?", "alias/v1", true],
  ["StringLike", "kms:RequestAlias", "alias/v?", "alias/v12", false],
  ["StringLike", "kms:RequestAlias", "alias/v?", "alias/v", false],
  ["StringLike", "kms:RequestAlias", "*prod*", "alias/my-prod-key", true],
  ["StringLike", "kms:RequestAlias", "alias/*-*-key", "alias/a-b-key", true],
  ["StringLike", "kms:RequestAlias", "alias/*-*-key", "alias/ab-key", false],
  ["StringLike", "kms:RequestAlias", "alias/app.*", "alias/appXprod", false],
  ["StringLike", "kms:RequestAlias", "alias/app-*", undefined, false],
  ["StringLike", "kms:EncryptionContext:tenant", "t?t", "t\u{1f600}t", true],
  ["StringLike", "kms:EncryptionContext:tenant", "t??t", "t\u{1f600}t", false],
  ["StringLike", "kms:EncryptionContext:tenant", "*?\u{1f600}", "\u{1f600}\u{1f600}", true],
  ["StringLike", "kms:EncryptionContext:tenant", "a*", "ab", true],
  ["StringLike", "kms:EncryptionContext:tenant", "a?", "abc", false],
  ["StringLike", "kms:ResourceAliases", "alias/finance-*", ["alias/hr", "alias/finance-eu"], true],
  ["StringNotLike", "kms:RequestAlias", "alias/app-*", "alias/app-prod", false],
  ["StringNotLike", "kms:RequestAlias", "alias/app-*", "alias/db", true],
  ["StringNotLike", "kms:RequestAlias", "alias/app-*", undefined, true],
  ["StringNotLike", "kms:ResourceAliases", "alias/finance-*", ["alias/hr", "alias/finance-eu"], false],
  // IfExists
  ["StringEqualsIfExists", "kms:EncryptionContext:tenant", "acme", "acme", true],
  ["StringEqualsIfExists", "kms:EncryptionContext:tenant", "acme", "beta", false],
  ["StringEqualsIfExists", "kms:EncryptionContext:tenant", "acme", undefined, true],
  ["StringNotEqualsIfExists", "kms:EncryptionContext:tenant", "acme", "acme", false],
  ["StringNotEqualsIfExists", "kms:EncryptionContext:tenant", "acme", undefined, true],
  ["StringLikeIfExists", "kms:RequestAlias", "alias/app-*", "alias/db", false],
  ["StringLikeIfExists", "kms:RequestAlias", "alias/app-*", undefined, true],
  ["StringEqualsIgnoreCaseIfExists", "kms:KeySpec", "rsa_2048", "RSA_2048", true],
  ["NumericLessThanIfExists", "kms:SchedulekeyDeletionPendingWindowInDays", 10, "20", false],
  ["NumericLessThanIfExists", "kms:SchedulekeyDeletionPendingWindowInDays", 10, undefined, true],
  ["DateLessThanIfExists", "aws:CurrentTime", "2030-01-01T00:00:00Z", undefined, true],
  ["BoolIfExists", "aws:SecureTransport", "true", undefined, true],
  ["BoolIfExists", "aws:SecureTransport", "true", "false", false],
  ["IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", undefined, true],
  ["IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "192.168.1.1", false],
  ["NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "10.1.1.1", false],
  ["ArnLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:role/app", undefined, true],
  // Numeric
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "10", "10", true],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "10.0", true],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "1e1", true],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "-2.5", "-2.50", true],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "11", false],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "ten", false],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "", false],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, undefined, false],
  ["NumericEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", [7, 30], "30", true],
  ["NumericNotEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "10", false],
  ["NumericNotEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "11", true],
  ["NumericNotEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, undefined, true],
  ["NumericLessThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "9.5", true],
  ["NumericLessThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "10", false],
  ["NumericLessThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "-1", true],
  ["NumericLessThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, undefined, false],
  ["NumericLessThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "10", true],
  ["NumericLessThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "10.01", false],
  ["NumericGreaterThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "10", false],
  ["NumericGreaterThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "11", true],
  ["NumericGreaterThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "10", true],
  ["NumericGreaterThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, "9.999", false],
  // Date (ISO-8601 with or without zone/time/fraction, or epoch seconds, on either side)
  ["DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2029-12-31T23:59:59Z", true],
  ["DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z", false],
  ["DateLessThan", "aws:CurrentTime", "2030-01-01", "2029-12-31T23:59:59.999Z", true],
  ["DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "1893455999", true],
  ["DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "1893456000", false],
  ["DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "yesterday", false],
  ["DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", undefined, false],
  ["DateLessThanEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z", true],
  ["DateLessThanEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00.001Z", false],
  ["DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", true],
  ["DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", false],
  ["DateGreaterThanEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", true],
  ["DateGreaterThanEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", false],
  ["DateEquals", "aws:CurrentTime", "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00Z", true],
  ["DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00-05:30", "2020-01-01T05:30:00Z", true],
  ["DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00", "2020-01-01T00:00:00Z", true],
  ["DateEquals", "aws:CurrentTime", "2020-01-01T00:00", "2020-01-01T00:00:00.000Z", true],
  ["DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00.5Z", "2020-01-01T00:00:00.500Z", true],
  ["DateEquals", "aws:CurrentTime", 1577836800, "2020-01-01T00:00:00Z", true],
  ["DateEquals", "aws:CurrentTime", "1577836800", "2020-01-01T00:00:01Z", false],
  ["DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "1577836800", false],
  ["DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", true],
  ["DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", undefined, true],
  // Bool (case-insensitive "true"/"false")
  ["Bool", "aws:SecureTransport", "true", "true", true],
  ["Bool", "aws:SecureTransport", "true", "TRUE", true],
  ["Bool", "aws:SecureTransport", true, "true", true],
  ["Bool", "aws:SecureTransport", "true", "false", false],
  ["Bool", "aws:SecureTransport", "true", "yes", false],
  ["Bool", "aws:SecureTransport", "true", undefined, false],
  ["Bool", "aws:SecureTransport", "False", "false", true],
  ["Bool", "kms:GrantIsForAWSResource", "true", "true", true],
  ["Bool", "kms:BypassPolicyLockoutSafetyCheck", "true", "false", false],
  // IpAddress / NotIpAddress, IPv4 and IPv6 CIDR edges
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "10.255.255.255", true],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "10.0.0.0", true],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "11.0.0.0", false],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "9.255.255.255", false],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/9", "10.127.255.255", true],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/9", "10.128.0.0", false],
  ["IpAddress", "aws:SourceIp", "192.0.2.0/31", "192.0.2.1", true],
  ["IpAddress", "aws:SourceIp", "192.0.2.0/31", "192.0.2.2", false],
  ["IpAddress", "aws:SourceIp", "192.0.2.7", "192.0.2.7", true],
  ["IpAddress", "aws:SourceIp", "192.0.2.7/32", "192.0.2.6", false],
  ["IpAddress", "aws:SourceIp", "0.0.0.0/0", "255.255.255.255", true],
  ["IpAddress", "aws:SourceIp", "0.0.0.0/0", "2001:db8::1", false],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "::ffff:10.1.2.3", true],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "::ffff:11.1.2.3", false],
  ["IpAddress", "aws:SourceIp", "::ffff:0:0/96", "10.1.2.3", true],
  ["IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true],
  ["IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:DB8::1", true],
  ["IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db9::", false],
  ["IpAddress", "aws:SourceIp", "2001:db8::/33", "2001:db8:7fff::", true],
  ["IpAddress", "aws:SourceIp", "2001:db8::/33", "2001:db8:8000::", false],
  ["IpAddress", "aws:SourceIp", "2001:db8::1/128", "2001:db8:0:0:0:0:0:1", true],
  ["IpAddress", "aws:SourceIp", "2001:db8::1/128", "2001:db8::2", false],
  ["IpAddress", "aws:SourceIp", "::/0", "fe80::1", true],
  ["IpAddress", "aws:SourceIp", "2001:db8::/32", "10.0.0.1", false],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "not-an-ip", false],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", "10.0.0.0/8", false],
  ["IpAddress", "aws:SourceIp", "10.0.0.0/8", undefined, false],
  ["IpAddress", "aws:SourceIp", ["192.168.0.0/16", "10.0.0.0/8"], "10.9.9.9", true],
  ["NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "10.1.1.1", false],
  ["NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "192.168.0.1", true],
  ["NotIpAddress", "aws:SourceIp", "10.0.0.0/8", undefined, true],
  ["NotIpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::5", false],
  ["NotIpAddress", "aws:SourceIp", ["192.168.0.0/16", "10.0.0.0/8"], "10.9.9.9", false],
  // Arn operators (component-wise, case-sensitive, wildcards in both)
  ["ArnEquals", "aws:PrincipalArn", `arn:aws:iam::${ACCT}:role/app`, `arn:aws:iam::${ACCT}:role/app`, true],
  ["ArnEquals", "aws:PrincipalArn", `arn:aws:iam::${ACCT}:role/app`, `arn:aws:iam::${ACCT}:role/App`, false],
  ["ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:role/app", `arn:aws:iam::${OTHER}:role/app`, true],
  ["ArnEquals", "aws:PrincipalArn", `arn:aws:iam::${ACCT}:role/app`, undefined, false],
  ["ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", `arn:aws:iam::${OTHER}:role/app-x`, true],
  ["ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", `arn:aws:iam::${OTHER}:user/app-x`, false],
  ["ArnLike", "kms:GranteePrincipal", `arn:aws:iam::${ACCT}:role/*`, `arn:aws:iam::${ACCT}:role/path/worker`, true],
  ["ArnLike", "kms:GranteePrincipal", "arn:aws:kms:us-*:key/abc", `arn:aws:kms:us-east-1:${ACCT}:key/abc`, false],
  ["ArnLike", "kms:GranteePrincipal", "arn:aws:kms:*:*:key/*", `arn:aws:kms:us-east-1:${ACCT}:key/abc`, true],
  ["ArnLike", "kms:GranteePrincipal", "arn:aws:iam::?????????????:root", `arn:aws:iam::${ACCT}:root`, false],
  ["ArnLike", "kms:GranteePrincipal", "arn:aws:iam::????????????:root", `arn:aws:iam::${ACCT}:root`, true],
  ["ArnNotEquals", "aws:PrincipalArn", `arn:aws:iam::${ACCT}:role/app`, `arn:aws:iam::${ACCT}:role/app`, false],
  ["ArnNotEquals", "aws:PrincipalArn", `arn:aws:iam::${ACCT}:role/app`, `arn:aws:iam::${ACCT}:role/db`, true],
  ["ArnNotEquals", "aws:PrincipalArn", `arn:aws:iam::${ACCT}:role/app`, undefined, true],
  ["ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", `arn:aws:iam::${ACCT}:role/app-1`, false],
  ["ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", `arn:aws:iam::${ACCT}:role/db`, true],
  ["ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", undefined, true],
  // Null
  ["Null", "kms:EncryptionContext:tenant", "true", undefined, true],
  ["Null", "kms:EncryptionContext:tenant", "true", "acme", false],
  ["Null", "kms:EncryptionContext:tenant", true, [], true],
  ["Null", "kms:EncryptionContext:tenant", "false", "acme", true],
  ["Null", "kms:EncryptionContext:tenant", false, undefined, false],
  ["Null", "aws:TagKeys", "false", ["env"], true],
  // ForAnyValue: (false when missing or empty)
  ["ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], ["tenant", "x"], true],
  ["ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], ["x", "y"], false],
  ["ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], undefined, false],
  ["ForAnyValue:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], [], false],
  ["ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "tenant", "tenant", true],
  ["ForAnyValue:StringNotEquals", "kms:EncryptionContextKeys", "tenant", ["tenant", "x"], true],
  ["ForAnyValue:StringNotEquals", "kms:EncryptionContextKeys", "tenant", ["tenant"], false],
  ["ForAnyValue:StringLike", "kms:ResourceAliases", "alias/finance-*", ["alias/hr", "alias/finance-eu"], true],
  ["ForAnyValue:StringLike", "kms:ResourceAliases", "alias/finance-*", ["alias/hr"], false],
  ["ForAnyValue:StringEqualsIfExists", "kms:EncryptionContextKeys", "tenant", undefined, true],
  ["ForAnyValue:StringEqualsIgnoreCase", "aws:TagKeys", "ENV", ["Env", "team"], true],
  ["ForAnyValue:NumericGreaterThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, ["5", "20"], true],
  ["ForAnyValue:IpAddress", "aws:SourceIp", "10.0.0.0/8", ["192.168.0.1", "10.0.0.1"], true],
  ["ForAnyValue:ArnLike", "kms:GranteePrincipal", "arn:aws:iam::*:role/app", [`arn:aws:iam::${ACCT}:user/x`], false],
  ["ForAnyValue:DateLessThan", "aws:CurrentTime", "2020-01-01", ["2019-06-01T00:00:00Z"], true],
  ["ForAnyValue:Bool", "aws:SecureTransport", "true", ["false", "true"], true],
  // ForAllValues: (true when missing or empty)
  ["ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], ["tenant"], true],
  ["ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], ["tenant", "app"], true],
  ["ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], ["tenant", "x"], false],
  ["ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], undefined, true],
  ["ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["tenant", "app"], [], true],
  ["ForAllValues:StringEquals", "kms:GrantOperations", ["Decrypt", "Encrypt"], ["Decrypt"], true],
  ["ForAllValues:StringEquals", "kms:GrantOperations", ["Decrypt", "Encrypt"], ["Decrypt", "CreateGrant"], false],
  ["ForAllValues:StringLike", "aws:TagKeys", ["env", "team*"], ["env", "team-a"], true],
  ["ForAllValues:StringLike", "aws:TagKeys", ["env", "team*"], ["env", "cost"], false],
  ["ForAllValues:StringNotEquals", "aws:TagKeys", "secret", ["a", "b"], true],
  ["ForAllValues:StringNotEquals", "aws:TagKeys", "secret", ["a", "secret"], false],
  ["ForAllValues:StringEqualsIgnoreCase", "aws:TagKeys", ["env", "team"], ["ENV", "Team"], true],
  ["ForAllValues:NumericLessThan", "kms:ScheduleKeyDeletionPendingWindowInDays", 10, ["5", "20"], false],
  ["ForAllValues:IpAddress", "aws:SourceIp", "10.0.0.0/8", ["10.0.0.1", "10.2.0.1"], true],
  ["ForAllValues:NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ["192.168.0.1", "10.2.0.1"], false],
  ["ForAllValues:StringEqualsIfExists", "aws:TagKeys", "env", ["env", "x"], false],
];

rows.forEach(([operator, key, policyValue, requestValue, holds], i) => {
  const shown = requestValue === undefined ? "(missing)" : JSON.stringify(requestValue);
  test(`condition #${i}: ${operator} ${key} ${JSON.stringify(policyValue)} vs ${shown} -> ${holds}`, (t) => {
    const context: ContextInput = requestValue === undefined ? {} : { [key.toLowerCase()]: requestValue };
    const statement = { Action: "kms:*", Resource: "*", Condition: { [operator]: { [key]: policyValue } } };
    const allow = policy("identity", { Effect: "Allow", ...statement });
    const deny = policy("identity", { Effect: "Deny", ...statement });
    t.is(effectOf(allow, request({ context })), holds ? "Allow" : "None");
    t.is(effectOf(deny, request({ context })), holds ? "Deny" : "None");
  });
});

test("conditions: several keys and operators are AND-ed, the values of one key OR-ed", (t) => {
  const p = policy("identity", {
    Effect: "Allow",
    Action: "kms:Decrypt",
    Resource: "*",
    Condition: {
      StringEquals: { "kms:EncryptionContext:tenant": ["acme", "beta"], "kms:CallerAccount": ACCT },
      Bool: { "aws:SecureTransport": "true" },
    },
  });
  const base = { "kms:encryptioncontext:tenant": "beta", "kms:calleraccount": ACCT, "aws:securetransport": "true" };
  t.is(effectOf(p, request({ action: "kms:Decrypt", context: base })), "Allow");
  t.is(effectOf(p, request({ action: "kms:Decrypt", context: { ...base, "kms:encryptioncontext:tenant": "gamma" } })), "None");
  t.is(effectOf(p, request({ action: "kms:Decrypt", context: { ...base, "kms:calleraccount": OTHER } })), "None");
  t.is(effectOf(p, request({ action: "kms:Decrypt", context: { ...base, "aws:securetransport": "false" } })), "None");
});

test("conditions: key names are case-insensitive, values case-sensitive", (t) => {
  const p = policy("identity", {
    Effect: "Allow",
    Action: "kms:*",
    Resource: "*",
    Condition: { StringEquals: { "KMS:EncryptionContext:Tenant": "Acme", "AWS:PrincipalTag/TEAM": "Payments" } },
  });
  t.is(effectOf(p, request({ context: { "kms:encryptioncontext:tenant": "Acme", "aws:principaltag/team": "Payments" } })), "Allow");
  t.is(effectOf(p, request({ context: { "kms:encryptioncontext:tenant": "acme", "aws:principaltag/team": "Payments" } })), "None");
});

test("conditions: an empty Condition object constrains nothing", (t) => {
  const p = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: {} });
  t.is(effectOf(p, request()), "Allow");
});

test("policy variables are filled from the request in string and ARN conditions (Version 2012-10-17)", (t) => {
  const owner = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:owner": "${aws:username}" } } });
  t.is(effectOf(owner, request({ context: { "aws:username": "alice", "kms:encryptioncontext:owner": "alice" } })), "Allow");
  t.is(effectOf(owner, request({ context: { "aws:username": "alice", "kms:encryptioncontext:owner": "bob" } })), "None");
  t.is(effectOf(owner, request({ context: { "aws:username": "alice", "kms:encryptioncontext:owner": "${aws:username}" } })), "None", "the variable as text is no match");
  const upper = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:owner": "team-${AWS:PrincipalTag/Team}" } } });
  t.is(effectOf(upper, request({ context: { "aws:principaltag/team": "blue", "kms:encryptioncontext:owner": "team-blue" } })), "Allow", "variable names are not case sensitive");
  const arn = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:user/${aws:username}" } } });
  t.is(effectOf(arn, request({ context: { "aws:username": "alice", "aws:principalarn": alice.arn } })), "Allow");
  t.is(effectOf(arn, request({ context: { "aws:username": "bob", "aws:principalarn": alice.arn } })), "None");
});

test("a policy variable the request has no value for makes the statement apply to nothing, Allow or Deny, positive or negated", (t) => {
  for (const operator of ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike"]) {
    const condition = { [operator]: { "kms:EncryptionContext:owner": "${aws:PrincipalTag/owner}" } };
    const context = { "kms:encryptioncontext:owner": "alice" };
    t.is(effectOf(policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: condition }), request({ context })), "None", operator);
    const denying = policy("identity", [{ Effect: "Allow", Action: "kms:*", Resource: "*" }, { Effect: "Deny", Action: "kms:*", Resource: "*", Condition: condition }]);
    t.is(effectOf(denying, request({ context })), "Allow", `Deny ${operator}`);
  }
  // Whether or not the request has the condition key, ...IfExists and ForAllValues: included.
  for (const operator of ["StringNotEquals", "StringEqualsIfExists", "ForAllValues:StringEquals"]) {
    const condition = { [operator]: { "kms:EncryptionContext:owner": "${aws:username}" } };
    t.is(effectOf(policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: condition }), request()), "None", `${operator}, key missing`);
  }
  const multi = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:owner": "${aws:TagKeys}" } } });
  t.is(effectOf(multi, request({ context: { "aws:tagkeys": ["a"], "kms:encryptioncontext:owner": "a" } })), "None", "a multivalued key has no single value");
  const fallback = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:owner": "${aws:PrincipalTag/owner, 'nobody'}" } } });
  t.is(effectOf(fallback, request({ context: { "kms:encryptioncontext:owner": "nobody" } })), "Allow", "the default stands in");
  t.is(effectOf(fallback, request({ context: { "aws:principaltag/owner": "alice", "kms:encryptioncontext:owner": "nobody" } })), "None");
});

test("policy variables: their values and ${*}, ${?}, ${$} are literal; under Version 2008-10-17 (or none) \"${...}\" is plain text", (t) => {
  const like = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringLike: { "kms:EncryptionContext:path": "${aws:PrincipalTag/prefix}/*" } } });
  t.is(effectOf(like, request({ context: { "aws:principaltag/prefix": "a", "kms:encryptioncontext:path": "a/b" } })), "Allow");
  t.is(effectOf(like, request({ context: { "aws:principaltag/prefix": "*", "kms:encryptioncontext:path": "a/b" } })), "None", "a '*' in a tag is no wildcard");
  t.is(effectOf(like, request({ context: { "aws:principaltag/prefix": "*", "kms:encryptioncontext:path": "*/b" } })), "Allow");
  const escaped = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringLike: { "kms:EncryptionContext:k": "a${*}${?}${$}" } } });
  t.is(effectOf(escaped, request({ context: { "kms:encryptioncontext:k": "a*?$" } })), "Allow");
  t.is(effectOf(escaped, request({ context: { "kms:encryptioncontext:k": "abc$" } })), "None");
  const old = parsePolicy(JSON.stringify({ Version: "2008-10-17", Statement: { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "${aws:username}" } } } }), "identity");
  t.is(effectOf(old, request({ context: { "aws:username": "alice", "aws:principaltag/team": "alice" } })), "None");
  t.is(effectOf(old, request({ context: { "aws:principaltag/team": "${aws:username}" } })), "Allow");
  const notVariables = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "${not a variable}" } } });
  t.is(effectOf(notVariables, request({ context: { "aws:principaltag/team": "${not a variable}" } })), "Allow", "text that is no variable stays as written");
  const surrounded = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "$${aws:username}}" } } });
  t.is(effectOf(surrounded, request({ context: { "aws:username": "al", "aws:principaltag/team": "$al}" } })), "Allow", "text around a variable stays");
});

test("policy variables in Resource and NotResource; a missing one applies the statement to nothing", (t) => {
  const own = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: `arn:aws:kms:*:${ACCT}:key/\${aws:PrincipalTag/key}` });
  const context = { "aws:principaltag/key": "1234abcd-12ab-34cd-56ef-1234567890ab" };
  t.is(effectOf(own, request({ context })), "Allow");
  t.is(effectOf(own, request({ context, resource: OTHER_KEY_ARN })), "None");
  t.is(effectOf(own, request({ context: { "aws:principaltag/key": "*" } })), "None", "a '*' in the value is literal");
  t.is(effectOf(own, request()), "None");
  const notOwn = policy("identity", [{ Effect: "Allow", Action: "kms:*", Resource: "*" }, { Effect: "Deny", Action: "kms:*", NotResource: `arn:aws:kms:*:${ACCT}:key/\${aws:PrincipalTag/key}` }]);
  t.is(effectOf(notOwn, request({ context, resource: OTHER_KEY_ARN })), "Deny");
  t.is(effectOf(notOwn, request({ context })), "Allow");
  t.is(effectOf(notOwn, request({ resource: OTHER_KEY_ARN })), "Allow", "the Deny applies to nothing without the tag, as IAM treats it as invalid");
});

// ---------------------------------------------------------------------------------------------
// Action / NotAction

const actionRows: [pattern: unknown, action: string, matches: boolean][] = [
  ["*", "kms:Encrypt", true],
  ["*", "iam:CreateUser", true],
  ["kms:*", "kms:ScheduleKeyDeletion", true],
  ["kms:*", "iam:CreateUser", false],
  ["kms:Generate*", "kms:GenerateDataKey", true],
  ["kms:Generate*", "kms:GenerateDataKeyWithoutPlaintext", true],
  ["kms:Generate*", "kms:Encrypt", false],
  ["kms:ReEncrypt*", "kms:ReEncryptFrom", true],
  ["kms:ReEncrypt*", "kms:ReEncryptTo", true],
  ["kms:Get?eyPolicy", "kms:GetKeyPolicy", true],
  ["kms:Get?eyPolicy", "kms:GetKeyPolicies", false],
  ["kms:*Key", "kms:DescribeKey", true],
  ["kms:*Key", "kms:DescribeKeys", false],
  ["KMS:encrypt", "kms:Encrypt", true],
  ["kms:Encrypt", "kms:ENCRYPT", true],
  ["kms:Encrypt", "kms:EncryptX", false],
  ["kms:Encrypt", "iam:Encrypt", false],
  [["kms:Decrypt", "kms:Encrypt"], "kms:Encrypt", true],
  [["kms:Decrypt", "kms:Sign"], "kms:Encrypt", false],
  ["iam:*", "iam:CreateUser", true],
  ["sts:AssumeRole", "sts:AssumeRole", true],
  ["audit:Read*", "audit:ReadEvents", true],
];

actionRows.forEach(([pattern, action, matches], i) => {
  test(`action #${i}: Action ${JSON.stringify(pattern)} vs ${action} -> ${matches}`, (t) => {
    const positive = policy("identity", { Effect: "Allow", Action: pattern, Resource: "*" });
    const negated = policy("identity", { Effect: "Allow", NotAction: pattern, Resource: "*" });
    t.is(effectOf(positive, request({ action })), matches ? "Allow" : "None");
    t.is(effectOf(negated, request({ action })), matches ? "None" : "Allow");
  });
});

// ---------------------------------------------------------------------------------------------
// Resource / NotResource

const resourceRows: [pattern: unknown, resource: string, matches: boolean][] = [
  ["*", KEY_ARN, true],
  ["*", "*", true],
  [KEY_ARN, KEY_ARN, true],
  [KEY_ARN, OTHER_KEY_ARN, false],
  [KEY_ARN, "*", false],
  [`arn:aws:kms:*:${ACCT}:key/*`, KEY_ARN, true],
  [`arn:aws:kms:*:${ACCT}:key/*`, `arn:aws:kms:us-east-1:${ACCT}:alias/app`, false],
  [`arn:aws:kms:*:${ACCT}:key/*`, `arn:aws:kms:us-east-1:${OTHER}:key/1234`, false],
  [`arn:aws:kms:us-east-1:${ACCT}:*`, `arn:aws:kms:us-east-1:${ACCT}:alias/app`, true],
  ["arn:aws:kms:*", KEY_ARN, true],
  [`arn:aws:kms:us-*:key/1234abcd-12ab-34cd-56ef-1234567890ab`, KEY_ARN, false],
  [`arn:aws:kms:us-east-?:${ACCT}:key/*`, KEY_ARN, true],
  [KEY_ARN.replace("1234abcd", "1234ABCD"), KEY_ARN, false],
  [`arn:aws:kms:*:${ACCT}:key/*`, "*", false],
  [[OTHER_KEY_ARN, KEY_ARN], KEY_ARN, true],
];

resourceRows.forEach(([pattern, resource, matches], i) => {
  test(`resource #${i}: Resource ${JSON.stringify(pattern)} vs ${resource} -> ${matches}`, (t) => {
    const positive = policy("identity", { Effect: "Allow", Action: "kms:*", Resource: pattern });
    const negated = policy("identity", { Effect: "Allow", Action: "kms:*", NotResource: pattern });
    t.is(effectOf(positive, request({ resource })), matches ? "Allow" : "None");
    t.is(effectOf(negated, request({ resource })), matches ? "None" : "Allow");
  });
});

test("resource: a key-policy statement without Resource never applies; a trust-policy statement needs none", (t) => {
  const key = policy("key", [{ Effect: "Allow", Principal: "*", Action: "kms:*" }]);
  t.is(effectOf(key, request()), "None");
  const keyDeny = policy("key", [
    { Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*" },
    { Effect: "Deny", Principal: "*", Action: "kms:*" },
  ]);
  t.is(effectOf(keyDeny, request()), "Allow");
  const trust = policy("trust", { Effect: "Allow", Principal: { AWS: alice.arn }, Action: "sts:AssumeRole" });
  t.is(effectOf(trust, request({ action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCT}:role/app` })), "Allow");
  t.is(effectOf(trust, request({ principal: bob, action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCT}:role/app` })), "None");
});

// ---------------------------------------------------------------------------------------------
// Principal / NotPrincipal (key policies)

type PrincipalRow = [principal: unknown, caller: Principal, expected: "direct" | "account" | "session" | "none"];

const principalRows: PrincipalRow[] = [
  ["*", alice, "direct"],
  ["*", carol, "direct"],
  [{ AWS: "*" }, carol, "direct"],
  [{ AWS: ACCT }, alice, "account"],
  [{ AWS: ACCT }, appSession, "account"],
  [{ AWS: ACCT }, carol, "none"],
  [{ AWS: `arn:aws:iam::${ACCT}:root` }, alice, "account"],
  [{ AWS: `arn:aws:iam::${ACCT}:root` }, root, "direct"],
  [{ AWS: `arn:aws:iam::${ACCT}:root` }, carol, "none"],
  [{ AWS: `arn:aws-cn:iam::${ACCT}:root` }, alice, "none"],
  [{ AWS: alice.arn }, alice, "direct"],
  [{ AWS: alice.arn }, bob, "none"],
  [{ AWS: [bob.arn, alice.arn] }, alice, "direct"],
  [{ AWS: pathUser.arn }, pathUser, "direct"],
  [{ AWS: `arn:aws:iam::${ACCT}:user/dana` }, pathUser, "none"],
  [{ AWS: `arn:aws:iam::${ACCT}:role/app` }, appSession, "direct"],
  [{ AWS: `arn:aws:iam::${ACCT}:role/app` }, appSession2, "direct"],
  [{ AWS: `arn:aws:iam::${ACCT}:role/app` }, otherRoleSession, "none"],
  [{ AWS: `arn:aws:iam::${ACCT}:role/app` }, alice, "none"],
  [{ AWS: appSession.arn }, appSession, "session"],
  [{ AWS: appSession.arn }, appSession2, "none"],
  [{ AWS: [ACCT, appSession.arn] }, appSession, "session"],
  [{ AWS: [ACCT, alice.arn] }, alice, "direct"],
  [{ Service: "ec2.amazonaws.com" }, alice, "none"],
  [{ Federated: "cognito-identity.amazonaws.com" }, alice, "none"],
  [{ AWS: carol.arn }, carol, "direct"],
];

principalRows.forEach(([principal, caller, expected], i) => {
  test(`principal #${i}: Principal ${JSON.stringify(principal)} vs ${caller.arn} -> ${expected}`, (t) => {
    const p = policy("key", { Effect: "Allow", Principal: principal, Action: "kms:*", Resource: "*" });
    const decision = evaluatePolicy(p, request({ principal: caller }));
    if (expected === "none") {
      t.is(decision.effect, "None");
      return;
    }
    t.is(decision.effect, "Allow");
    if (decision.effect !== "Allow") return;
    t.is(decision.via, expected === "account" ? "account" : "direct");
    t.is(decision.namesSession, expected === "session");
  });
});

test("principal: NotPrincipal leaves out only a caller it names whole (account, role, session or user), as IAM checks each", (t) => {
  const denyAllBut = (...names: string[]) =>
    policy("key", [
      { Sid: "All", Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*" },
      { Sid: "OnlyAdmin", Effect: "Deny", NotPrincipal: { AWS: names }, Action: "kms:ScheduleKeyDeletion", Resource: "*" },
    ]);
  const effect = (p: CompiledPolicy, principal: Principal) => effectOf(p, request({ principal, action: "kms:ScheduleKeyDeletion" }));
  const rootArn = `arn:aws:iam::${ACCT}:root`;
  const roleArn = `arn:aws:iam::${ACCT}:role/app`;
  const whole = denyAllBut(bob.arn, roleArn, appSession.arn, rootArn);
  t.is(effect(whole, alice), "Deny");
  t.is(effect(whole, bob), "Allow");
  t.is(effect(whole, appSession), "Allow");
  t.is(effect(whole, appSession2), "Deny", "another session of the role");
  t.is(effect(whole, root), "Allow");
  t.is(effectOf(whole, request({ action: "kms:Encrypt" })), "Allow");
  t.is(effect(denyAllBut(bob.arn), bob), "Deny", "a user without its account is not left out");
  t.is(effect(denyAllBut(rootArn), alice), "Deny", "the account alone leaves out its root only");
  t.is(effect(denyAllBut(ACCT), root), "Allow");
  t.is(effect(denyAllBut(roleArn, rootArn), appSession), "Deny", "a role's ARN alone does not leave its sessions out");
  t.is(effect(denyAllBut(appSession.arn, rootArn), appSession), "Deny", "nor a session without its role");
  t.is(effect(denyAllBut(bob.arn, `arn:aws:iam::${OTHER}:root`), bob), "Deny", "another account's root");
  // In an Allow (which AWS does not support), naming any identity of the caller leaves it out.
  const allowAllBut = (...names: string[]) => policy("key", { Effect: "Allow", NotPrincipal: { AWS: names }, Action: "kms:*", Resource: "*" });
  t.like(evaluatePolicy(allowAllBut(bob.arn), request()), { effect: "Allow", via: "direct" });
  t.is(effectOf(allowAllBut(bob.arn), request({ principal: bob })), "None");
  t.is(effectOf(allowAllBut(rootArn), request({ principal: bob })), "None");
  t.is(effectOf(allowAllBut(roleArn), request({ principal: appSession })), "None");
});

test("principal: identity and session policies apply to their holder, whoever it is", (t) => {
  const p = policy("identity", { Effect: "Allow", Action: "kms:Encrypt", Resource: "*" });
  t.like(evaluatePolicy(p, request({ principal: carol })), { effect: "Allow", via: "direct", namesSession: false });
  const s = policy("session", { Effect: "Allow", Action: "kms:Encrypt", Resource: KEY_ARN });
  t.like(evaluatePolicy(s, request({ principal: appSession })), { effect: "Allow", via: "direct" });
});

// ---------------------------------------------------------------------------------------------
// Combining statements

test("deny beats allow, in either statement order, and the deny is reported", (t) => {
  const allow = { Sid: "AllowAll", Effect: "Allow", Action: "kms:*", Resource: "*" };
  const deny = { Sid: "NoEncrypt", Effect: "Deny", Action: "kms:Encrypt", Resource: "*" };
  t.deepEqual(evaluatePolicy(policy("identity", [allow, deny]), request()), { effect: "Deny", statement: { index: 1, sid: "NoEncrypt" } });
  t.deepEqual(evaluatePolicy(policy("identity", [deny, allow]), request()), { effect: "Deny", statement: { index: 0, sid: "NoEncrypt" } });
  t.like(evaluatePolicy(policy("identity", [deny, allow]), request({ action: "kms:Decrypt" })), { effect: "Allow", statement: { index: 1, sid: "AllowAll" } });
});

test("the first applicable deny is reported; a deny whose condition fails does not apply", (t) => {
  const p = policy("identity", [
    { Effect: "Deny", Action: "kms:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
    { Effect: "Allow", Action: "kms:*", Resource: "*" },
    { Sid: "D2", Effect: "Deny", Action: "kms:Encrypt", Resource: "*" },
    { Sid: "D3", Effect: "Deny", Action: "kms:*", Resource: "*" },
  ]);
  t.deepEqual(evaluatePolicy(p, request({ context: { "aws:securetransport": "true" } })), { effect: "Deny", statement: { index: 2, sid: "D2" } });
  t.deepEqual(evaluatePolicy(p, request({ context: { "aws:securetransport": "false" } })), { effect: "Deny", statement: { index: 0 } });
  t.deepEqual(evaluatePolicy(p, request({ action: "kms:Decrypt" })), { effect: "Deny", statement: { index: 3, sid: "D3" } });
});

test("a direct allow is preferred over an account allow, whatever the order", (t) => {
  const account = { Sid: "Account", Effect: "Allow", Principal: { AWS: ACCT }, Action: "kms:*", Resource: "*" };
  const direct = { Sid: "Alice", Effect: "Allow", Principal: { AWS: alice.arn }, Action: "kms:Encrypt", Resource: "*" };
  for (const statements of [[account, direct], [direct, account]]) {
    const decision = evaluatePolicy(policy("key", statements), request());
    t.like(decision, { effect: "Allow", via: "direct", statement: { sid: "Alice" } });
  }
  t.like(evaluatePolicy(policy("key", [direct, account]), request({ action: "kms:Decrypt" })), { effect: "Allow", via: "account", statement: { sid: "Account" } });
});

test("nothing applicable gives None", (t) => {
  const p = policy("identity", [
    { Effect: "Allow", Action: "kms:Decrypt", Resource: "*" },
    { Effect: "Deny", Action: "kms:Sign", Resource: "*" },
  ]);
  t.deepEqual(evaluatePolicy(p, request()), { effect: "None" });
});

test("evaluation is pure: the same request gives the same decision, and a compiled policy is frozen", (t) => {
  const p = policy("key", { Effect: "Allow", Principal: { AWS: ACCT }, Action: "kms:*", Resource: "*" });
  t.deepEqual(evaluatePolicy(p, request()), evaluatePolicy(p, request()));
  t.true(Object.isFrozen(p));
  t.true(Object.isFrozen(p.statements));
  t.true(Object.isFrozen(p.statements[0]));
  t.true(Object.isFrozen(p.statements[0]!.action.patterns));
});

test("principal: with the unique ids recorded when the policy was saved, an ARN names that user or role only", (t) => {
  const p = policy("key", [
    { Effect: "Allow", Principal: { AWS: [bob.arn, appSession.roleArn!] }, Action: "kms:Encrypt", Resource: "*" },
    { Effect: "Deny", NotPrincipal: { AWS: [bob.arn, `arn:aws:iam::${ACCT}:root`] }, Action: "kms:Decrypt", Resource: "*" },
  ]);
  const ids = { [bob.arn]: "AIDABOB1", [appSession.roleArn!]: "AROAAPP1" };
  const as = (principal: Principal, action = "kms:Encrypt") => evaluatePolicy(p, request({ principal, action }), ids).effect;
  t.is(as({ ...bob, userId: "AIDABOB1" }), "Allow");
  t.is(as({ ...bob, userId: "AIDABOB2" }), "None", "another bob");
  t.is(as({ ...appSession, userId: "AROAAPP1:session-1" }), "Allow");
  t.is(as({ ...appSession, userId: "AROAAPP2:session-1" }), "None", "a session of another role of the same name");
  t.is(as({ ...bob, userId: "AIDABOB1" }, "kms:Decrypt"), "None", "left out of the Deny");
  t.is(as({ ...bob, userId: "AIDABOB2" }, "kms:Decrypt"), "Deny", "another bob is not left out");
  t.is(evaluatePolicy(p, request({ principal: bob })).effect, "Allow", "no ids recorded (an older policy): the ARN alone");
});
