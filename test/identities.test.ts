import { stat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { toJsonString } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import test, { type ExecutionContext } from "ava";
import { AccessKeyStatus, ListAccessKeysResponseSchema } from "../gen/kms/v1/identity_pb.js";
import { allClients, failureOf } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

// End-to-end tests of the IdentityService: sessions, users, access keys, roles, identity
// policies and accounts, through a real server.

const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "555566667777";
const USER_ID = /^AIDA[A-Z2-7]{16}$/;
const ACCESS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;
const ROLE_ID = /^AROA[A-Z2-7]{16}$/;

let server: TestServer;
/** Every secret access key and session token this file makes; none may reach the log. */
const secrets = new Set<string>();

test.before(async () => {
  // Debug level: the request bodies are logged too (redacted), so the secrets scan covers them.
  server = await startTestServer({ logLevel: "debug" });
  secrets.add(server.token);
  secrets.add(server.admin.secret_access_key);
});

test.after.always("the server log holds none of the secrets and tokens made in this file", (t) => {
  if (!server) return;
  const raw = server.rawLogs();
  t.true(raw.length > 0, "the server wrote no log at all");
  t.true(secrets.size > 10, "the tests registered too few secrets for this scan to mean anything");
  for (const secret of secrets) t.false(raw.includes(secret), `a secret or token (${secret.slice(0, 6)}...) is in the server log`);
});
test.after.always(async () => {
  await server?.destroy();
});

/** A name no other test uses. */
const uniq = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** The IdentityService as the administrator. */
const admin = () => identityClient(server.url, server.token);

/** Logs in and remembers the token. */
async function loginAs(accessKeyId: string, secretAccessKey: string, url = server.url): Promise<string> {
  const token = await login(url, accessKeyId, secretAccessKey);
  secrets.add(token);
  return token;
}

/** A new user of the management account with one access key, logged in. */
async function newUser(label: string): Promise<{ userName: string; arn: string; accessKeyId: string; secret: string; token: string }> {
  const userName = uniq(label);
  const { user } = await admin().createUser({ userName });
  const { accessKey } = await admin().createAccessKey({ userName });
  secrets.add(accessKey!.secretAccessKey);
  const token = await loginAs(accessKey!.accessKeyId, accessKey!.secretAccessKey);
  return { userName, arn: user!.arn, accessKeyId: accessKey!.accessKeyId, secret: accessKey!.secretAccessKey, token };
}

/** Asserts a call fails with the exception and status code. */
async function assertFailure(t: ExecutionContext, call: Promise<unknown>, exception: string, code: Code, what: string): Promise<string> {
  const failure = await failureOf(call);
  t.is(failure.exception, exception, `${what}: ${failure.message}`);
  t.is(failure.code, code, `${what}: status code`);
  return failure.message;
}

const unauthenticated = (t: ExecutionContext, call: Promise<unknown>, what: string) => assertFailure(t, call, "UnrecognizedClientException", Code.Unauthenticated, what);

function trustPolicy(principalArn: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: principalArn }, Action: "sts:AssumeRole" }] });
}

function identityPolicy(action: string, resource = "*", sid = "S1"): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: sid, Effect: "Allow", Action: action, Resource: resource }] });
}

// ---------------------------------------------------------------------------------------------
// Login and sessions

test("Login with the administrator's access key returns a session that GetCallerIdentity names", async (t) => {
  const before = Date.now();
  const res = await identityClient(server.url).login({ accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key });
  const token = res.credentials!.sessionToken;
  secrets.add(token);
  t.regex(token, /^kms1\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
  t.is(res.principalArn, `arn:aws:iam::${ACCOUNT}:user/admin`);
  const expires = timestampMs(res.credentials!.expiration!);
  t.true(expires >= before + 3600_000 - 2000 && expires <= Date.now() + 3600_000 + 2000, `default session length is one hour, got ${expires - before} ms`);

  const me = await identityClient(server.url, token).getCallerIdentity({});
  t.is(me.account, ACCOUNT);
  t.is(me.arn, `arn:aws:iam::${ACCOUNT}:user/admin`);
  t.regex(me.userId, USER_ID);
  t.is(server.admin.principal_arn, me.arn);
  // Two sessions of the same user are the same principal.
  t.deepEqual(await admin().getCallerIdentity({}), me);
});

test("Login refuses a wrong secret, an unknown key id and an inactive key with the same answer", async (t) => {
  const { userName, accessKeyId, secret } = await newUser("refused");
  const anonymous = identityClient(server.url);
  const wrongSecret = await unauthenticated(t, anonymous.login({ accessKeyId, secretAccessKey: secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A") }), "wrong secret");
  const unknownKey = await unauthenticated(t, anonymous.login({ accessKeyId: "AKIA" + "A".repeat(16), secretAccessKey: secret }), "unknown key id");
  await admin().updateAccessKey({ userName, accessKeyId, status: AccessKeyStatus.INACTIVE });
  const inactive = await unauthenticated(t, anonymous.login({ accessKeyId, secretAccessKey: secret }), "inactive key");
  t.is(unknownKey, wrongSecret, "unknown key id and wrong secret must be indistinguishable");
  t.is(inactive, wrongSecret, "inactive key and wrong secret must be indistinguishable");
  t.false(wrongSecret.includes(accessKeyId), "the refusal must not echo the access key id");
  // Reactivated, the same key logs in again.
  await admin().updateAccessKey({ userName, accessKeyId, status: AccessKeyStatus.ACTIVE });
  t.regex(await loginAs(accessKeyId, secret), /^kms1\./);
});

test("Login requires both the access key id and the secret", async (t) => {
  const anonymous = identityClient(server.url);
  await assertFailure(t, anonymous.login({ accessKeyId: server.admin.access_key_id, secretAccessKey: "" }), "ValidationException", Code.InvalidArgument, "no secret");
  await assertFailure(t, anonymous.login({ accessKeyId: "", secretAccessKey: server.admin.secret_access_key }), "ValidationException", Code.InvalidArgument, "no key id");
});

test("Login duration_seconds must be 900-43200", async (t) => {
  const anonymous = identityClient(server.url);
  const creds = { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key };
  for (const durationSeconds of [899, 43201, 0, -1]) {
    await assertFailure(t, anonymous.login({ ...creds, durationSeconds }), "ValidationException", Code.InvalidArgument, `duration_seconds ${durationSeconds}`);
  }
  for (const durationSeconds of [900, 43200]) {
    const before = Date.now();
    const res = await anonymous.login({ ...creds, durationSeconds });
    secrets.add(res.credentials!.sessionToken);
    const expires = timestampMs(res.credentials!.expiration!);
    t.true(Math.abs(expires - (before + durationSeconds * 1000)) < 5000, `duration_seconds ${durationSeconds}: expires ${expires - before} ms from now`);
  }
});

test("Logout revokes the token it is sent with, and only that one", async (t) => {
  const { accessKeyId, secret, token } = await newUser("logout");
  const other = await loginAs(accessKeyId, secret);
  const session = identityClient(server.url, token);
  t.regex((await session.getCallerIdentity({})).arn, /:user\/logout-/);
  await session.logout({});
  await unauthenticated(t, session.getCallerIdentity({}), "identity call after Logout");
  await unauthenticated(t, allClients[0]!.connect({ url: server.url, token }).listKeys({}), "KMS call after Logout");
  await unauthenticated(t, session.logout({}), "second Logout");
  t.regex((await identityClient(server.url, other).getCallerIdentity({})).arn, /:user\/logout-/, "another session of the same key keeps working");
});

for (const kind of allClients) {
  test(`${kind.name}: a KMS call without an authorization header is MissingAuthenticationTokenException`, async (t) => {
    const kms = kind.connect({ url: server.url });
    await assertFailure(t, kms.listKeys({}), "MissingAuthenticationTokenException", Code.Unauthenticated, "ListKeys without credentials");
    await assertFailure(t, kms.createKey({}), "MissingAuthenticationTokenException", Code.Unauthenticated, "CreateKey without credentials");
  });

  test(`${kind.name}: a KMS call with a bad bearer token is UnrecognizedClientException`, async (t) => {
    await unauthenticated(t, kind.connect({ url: server.url, token: "garbage" }).listKeys({}), "Bearer garbage");
    const forged = `kms1.${randomBytes(16).toString("hex")}.${randomBytes(32).toString("base64url")}`;
    await unauthenticated(t, kind.connect({ url: server.url, token: forged }).listKeys({}), "well-formed token of no session");
  });
}

test("an IdentityService call without an authorization header is MissingAuthenticationTokenException", async (t) => {
  const anonymous = identityClient(server.url);
  await assertFailure(t, anonymous.getCallerIdentity({}), "MissingAuthenticationTokenException", Code.Unauthenticated, "GetCallerIdentity");
  await assertFailure(t, anonymous.createUser({ userName: uniq("anon") }), "MissingAuthenticationTokenException", Code.Unauthenticated, "CreateUser");
  await assertFailure(t, anonymous.logout({}), "MissingAuthenticationTokenException", Code.Unauthenticated, "Logout");
});

test("an IdentityService call with a bad authorization header is UnrecognizedClientException", async (t) => {
  await unauthenticated(t, identityClient(server.url, "garbage").getCallerIdentity({}), "Bearer garbage");
  // A real token with its secret altered.
  const { token } = await newUser("tampered");
  const tampered = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
  await unauthenticated(t, identityClient(server.url, tampered).getCallerIdentity({}), "tampered token");
  // Not a Bearer header at all.
  const basic = identityClient(server.url);
  await unauthenticated(
    t,
    basic.getCallerIdentity({}, { headers: { authorization: `Basic ${Buffer.from(`${server.admin.access_key_id}:x`).toString("base64")}` } }),
    "Basic authorization",
  );
  t.regex((await identityClient(server.url, token).getCallerIdentity({})).arn, /:user\/tampered-/, "the untampered token still works");
});

test("an expired session token is ExpiredTokenException", async (t) => {
  let now = Date.now();
  const clocked = await startTestServer({ clock: () => now });
  try {
    secrets.add(clocked.token);
    const res = await identityClient(clocked.url).login({ accessKeyId: clocked.admin.access_key_id, secretAccessKey: clocked.admin.secret_access_key, durationSeconds: 900 });
    const token = res.credentials!.sessionToken;
    secrets.add(token);
    t.is(timestampMs(res.credentials!.expiration!), now + 900_000);
    now += 899_000;
    t.is((await identityClient(clocked.url, token).getCallerIdentity({})).account, ACCOUNT, "still valid one second before expiry");
    now += 2_000; // 901 s after login
    await assertFailure(t, identityClient(clocked.url, token).getCallerIdentity({}), "ExpiredTokenException", Code.Unauthenticated, "identity call");
    await assertFailure(t, allClients[0]!.connect({ url: clocked.url, token }).listKeys({}), "ExpiredTokenException", Code.Unauthenticated, "KMS call");
    // The default-length session of the harness is still valid.
    t.is((await identityClient(clocked.url, clocked.token).getCallerIdentity({})).account, ACCOUNT);
  } finally {
    secrets.add(clocked.admin.secret_access_key);
    t.false(clocked.rawLogs().includes(clocked.admin.secret_access_key));
    await clocked.destroy();
  }
});

// ---------------------------------------------------------------------------------------------
// Users

test("CreateUser, ListUsers with pagination, DeleteUser", async (t) => {
  const prefix = uniq("page");
  const names = [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`);
  const created = [];
  for (const userName of [...names].reverse()) {
    const before = Date.now();
    const { user } = await admin().createUser({ userName, tags: [{ tagKey: "team", tagValue: "blue" }] });
    t.is(user!.userName, userName);
    t.is(user!.arn, `arn:aws:iam::${ACCOUNT}:user/${userName}`);
    t.regex(user!.userId, USER_ID);
    t.true(Math.abs(timestampMs(user!.createDate!) - before) < 5000);
    t.deepEqual(user!.tags.map((x) => [x.tagKey, x.tagValue]), [["team", "blue"]]);
    created.push(user!);
  }
  t.is(new Set(created.map((u) => u.userId)).size, 5, "user ids are unique");

  // Walk every page of two.
  const seen: string[] = [];
  let marker = "";
  let pages = 0;
  for (;;) {
    const page = await admin().listUsers({ limit: 2, marker });
    pages++;
    t.true(page.users.length <= 2, "a page holds at most limit users");
    seen.push(...page.users.map((u) => u.userName));
    if (!page.truncated) {
      t.is(page.nextMarker, "", "the last page has no marker");
      break;
    }
    t.not(page.nextMarker, "");
    marker = page.nextMarker;
    if (pages > 500) return t.fail("ListUsers never stopped being truncated");
  }
  t.true(pages >= 3, `5+ users in pages of 2 need at least 3 pages, got ${pages}`);
  t.deepEqual(
    seen.filter((n) => n.startsWith(prefix)),
    names,
    "every user once, in name order",
  );
  t.is(new Set(seen).size, seen.length, "no user twice");
  t.true(seen.includes("admin"));
  const folded = seen.map((n) => n.toLowerCase());
  t.deepEqual([...folded].sort(), folded, "users come in (case-insensitive) name order");
  const listed = (await admin().listUsers({ limit: 1000 })).users.find((u) => u.userName === names[2]);
  t.is(listed?.userId, created.find((u) => u.userName === names[2])!.userId);

  await assertFailure(t, admin().listUsers({ marker: "not-a-marker" }), "InvalidMarkerException", Code.InvalidArgument, "forged marker");
  await assertFailure(t, admin().listUsers({ limit: 0 }), "ValidationException", Code.InvalidArgument, "limit 0");
  await assertFailure(t, admin().listUsers({ limit: 1001 }), "ValidationException", Code.InvalidArgument, "limit 1001");

  for (const userName of names) await admin().deleteUser({ userName });
  const after = (await admin().listUsers({ limit: 1000 })).users.map((u) => u.userName);
  t.false(after.some((n) => n.startsWith(prefix)), "deleted users are not listed");
  await assertFailure(t, admin().deleteUser({ userName: names[0]! }), "NotFoundException", Code.NotFound, "deleting a deleted user");
});

test("CreateUser of an existing name is AlreadyExistsException", async (t) => {
  const userName = uniq("dup");
  const { user } = await admin().createUser({ userName });
  await assertFailure(t, admin().createUser({ userName }), "AlreadyExistsException", Code.AlreadyExists, "duplicate user");
  await assertFailure(t, admin().createUser({ userName: "admin" }), "AlreadyExistsException", Code.AlreadyExists, "duplicate admin");
  const listed = (await admin().listUsers({ limit: 1000 })).users.filter((u) => u.userName === userName);
  t.is(listed.length, 1);
  t.is(listed[0]!.userId, user!.userId, "the duplicate did not replace the user");
});

// IAM user names are unique regardless of case (AWS IAM CreateUser: "Names are not distinguished
// by case"). Regression test: before a7c915e this server stored "x" and "X" as two users.
test("CreateUser of a name that differs only in case is AlreadyExistsException", async (t) => {
  const userName = uniq("case");
  await admin().createUser({ userName });
  await assertFailure(t, admin().createUser({ userName: userName.toUpperCase() }), "AlreadyExistsException", Code.AlreadyExists, "case-variant user");
});

test("CreateUser refuses bad names with ValidationException", async (t) => {
  const bad = ["", "a b", "x".repeat(65), "bad/name", "bad:name", "ünïcode", "a*b", "tab\tname"];
  for (const userName of bad) {
    await assertFailure(t, admin().createUser({ userName }), "ValidationException", Code.InvalidArgument, `user name ${JSON.stringify(userName)}`);
  }
  const users = (await admin().listUsers({ limit: 1000 })).users.map((u) => u.userName);
  for (const userName of bad) t.false(users.includes(userName), `${JSON.stringify(userName)} was created`);
  // The edge of the rules is accepted: 64 characters of the whole set.
  const longest = ("u+=,.@_-" + randomUUID().replaceAll("-", "")).padEnd(64, "z");
  t.is((await admin().createUser({ userName: longest })).user!.userName, longest);
});

test("a user without identity policies cannot manage identities", async (t) => {
  const { token, userName, arn } = await newUser("powerless");
  const self = identityClient(server.url, token);
  const message = await assertFailure(t, self.createUser({ userName: uniq("x") }), "AccessDeniedException", Code.PermissionDenied, "CreateUser");
  t.true(message.includes(arn) && message.includes("iam:CreateUser"), message);
  await assertFailure(t, self.createAccessKey({ userName }), "AccessDeniedException", Code.PermissionDenied, "CreateAccessKey for itself");
  await assertFailure(t, self.putUserPolicy({ userName, policyName: "escalate", policyDocument: identityPolicy("*") }), "AccessDeniedException", Code.PermissionDenied, "PutUserPolicy on itself");
  t.deepEqual((await admin().listUserPolicies({ userName })).policyNames, [], "the escalation did not happen");
  await assertFailure(t, self.listUsers({}), "AccessDeniedException", Code.PermissionDenied, "ListUsers");
  // Always allowed, even under a deny of everything: who am I, and logging out.
  await admin().putUserPolicy({ userName, policyName: "deny-all", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] }) });
  t.is((await self.getCallerIdentity({})).arn, arn);
  await self.logout({});
});

// ---------------------------------------------------------------------------------------------
// Access keys

test("CreateAccessKey returns a secret that logs in; a third key is LimitExceededException; ListAccessKeys hides secrets", async (t) => {
  const userName = uniq("keys");
  const { user } = await admin().createUser({ userName });
  const first = (await admin().createAccessKey({ userName })).accessKey!;
  const second = (await admin().createAccessKey({ userName })).accessKey!;
  for (const key of [first, second]) {
    secrets.add(key.secretAccessKey);
    t.regex(key.accessKeyId, ACCESS_KEY_ID);
    t.is(key.secretAccessKey.length, 40, "secrets have AWS's length");
    t.is(key.userName, userName);
    t.is(key.status, AccessKeyStatus.ACTIVE);
  }
  t.not(first.accessKeyId, second.accessKeyId);
  t.not(first.secretAccessKey, second.secretAccessKey);

  const res = await identityClient(server.url).login({ accessKeyId: first.accessKeyId, secretAccessKey: first.secretAccessKey });
  secrets.add(res.credentials!.sessionToken);
  t.is(res.principalArn, user!.arn);
  const me = await identityClient(server.url, res.credentials!.sessionToken).getCallerIdentity({});
  t.deepEqual({ account: me.account, arn: me.arn, userId: me.userId }, { account: ACCOUNT, arn: user!.arn, userId: user!.userId });
  t.is((await identityClient(server.url).login({ accessKeyId: second.accessKeyId, secretAccessKey: second.secretAccessKey })).principalArn, user!.arn);
  await unauthenticated(t, identityClient(server.url).login({ accessKeyId: first.accessKeyId, secretAccessKey: second.secretAccessKey }), "one key's secret with the other key's id");

  await assertFailure(t, admin().createAccessKey({ userName }), "LimitExceededException", Code.ResourceExhausted, "third access key");

  const listed = await admin().listAccessKeys({ userName });
  t.deepEqual(listed.accessKeyMetadata.map((k) => k.accessKeyId).sort(), [first.accessKeyId, second.accessKeyId].sort());
  for (const k of listed.accessKeyMetadata) {
    t.is(k.userName, userName);
    t.is(k.status, AccessKeyStatus.ACTIVE);
    t.false("secretAccessKey" in k, "metadata has no secret field");
  }
  const json = toJsonString(ListAccessKeysResponseSchema, listed);
  t.false(json.includes(first.secretAccessKey) || json.includes(second.secretAccessKey), "ListAccessKeys returned a secret");

  // Deleting one makes room for another.
  await admin().deleteAccessKey({ userName, accessKeyId: second.accessKeyId });
  const third = (await admin().createAccessKey({ userName })).accessKey!;
  secrets.add(third.secretAccessKey);
  t.regex(await loginAs(third.accessKeyId, third.secretAccessKey), /^kms1\./);

  await assertFailure(t, admin().createAccessKey({ userName: uniq("nobody") }), "NotFoundException", Code.NotFound, "key for a user that does not exist");
  await assertFailure(t, admin().listAccessKeys({ userName: uniq("nobody") }), "NotFoundException", Code.NotFound, "keys of a user that does not exist");
});

test("UpdateAccessKey INACTIVE refuses logins and ends the key's existing sessions", async (t) => {
  const { userName, accessKeyId, secret, token } = await newUser("deactivate");
  const second = (await admin().createAccessKey({ userName })).accessKey!;
  secrets.add(second.secretAccessKey);
  const otherKeyToken = await loginAs(second.accessKeyId, second.secretAccessKey);
  t.regex((await identityClient(server.url, token).getCallerIdentity({})).arn, /:user\/deactivate-/);

  await admin().updateAccessKey({ userName, accessKeyId, status: AccessKeyStatus.INACTIVE });
  const listed = (await admin().listAccessKeys({ userName })).accessKeyMetadata.find((k) => k.accessKeyId === accessKeyId);
  t.is(listed?.status, AccessKeyStatus.INACTIVE);
  await unauthenticated(t, identityClient(server.url, token).getCallerIdentity({}), "identity call with a session of the deactivated key");
  await unauthenticated(t, allClients[0]!.connect({ url: server.url, token }).listKeys({}), "KMS call with a session of the deactivated key");
  await unauthenticated(t, identityClient(server.url).login({ accessKeyId, secretAccessKey: secret }), "login with the deactivated key");
  t.regex((await identityClient(server.url, otherKeyToken).getCallerIdentity({})).arn, /:user\/deactivate-/, "the user's other key is untouched");

  await assertFailure(t, admin().updateAccessKey({ userName, accessKeyId, status: AccessKeyStatus.UNSPECIFIED }), "ValidationException", Code.InvalidArgument, "status UNSPECIFIED");
  await assertFailure(t, admin().updateAccessKey({ userName: "admin", accessKeyId, status: AccessKeyStatus.ACTIVE }), "NotFoundException", Code.NotFound, "key named under another user");
});

test("DeleteAccessKey refuses logins and ends the key's existing sessions", async (t) => {
  const { userName, accessKeyId, secret, token } = await newUser("delkey");
  t.regex((await identityClient(server.url, token).getCallerIdentity({})).arn, /:user\/delkey-/);
  await admin().deleteAccessKey({ userName, accessKeyId });
  t.deepEqual((await admin().listAccessKeys({ userName })).accessKeyMetadata, []);
  await unauthenticated(t, identityClient(server.url, token).getCallerIdentity({}), "identity call with a session of the deleted key");
  await unauthenticated(t, allClients[0]!.connect({ url: server.url, token }).listKeys({}), "KMS call with a session of the deleted key");
  await unauthenticated(t, identityClient(server.url).login({ accessKeyId, secretAccessKey: secret }), "login with the deleted key");
  await assertFailure(t, admin().deleteAccessKey({ userName, accessKeyId }), "NotFoundException", Code.NotFound, "deleting it again");
});

test("DeleteUser ends the user's sessions and removes its keys and policies", async (t) => {
  const { userName, accessKeyId, secret, token } = await newUser("deluser");
  const second = (await admin().createAccessKey({ userName })).accessKey!;
  secrets.add(second.secretAccessKey);
  const secondToken = await loginAs(second.accessKeyId, second.secretAccessKey);
  await admin().putUserPolicy({ userName, policyName: "p", policyDocument: identityPolicy("kms:ListKeys") });
  t.is((await allClients[0]!.connect({ url: server.url, token }).listKeys({})).$typeName, "kms.v1.ListKeysResponse");

  await admin().deleteUser({ userName });
  for (const [what, tok] of [["first session", token], ["second session", secondToken]] as const) {
    await unauthenticated(t, identityClient(server.url, tok).getCallerIdentity({}), `${what}: identity call`);
    await unauthenticated(t, allClients[0]!.connect({ url: server.url, token: tok }).listKeys({}), `${what}: KMS call`);
  }
  await unauthenticated(t, identityClient(server.url).login({ accessKeyId, secretAccessKey: secret }), "login after DeleteUser");

  // A new user of the same name inherits nothing: no policies, no keys, no sessions.
  await admin().createUser({ userName });
  t.deepEqual((await admin().listUserPolicies({ userName })).policyNames, []);
  t.deepEqual((await admin().listAccessKeys({ userName })).accessKeyMetadata, []);
  await unauthenticated(t, identityClient(server.url, token).getCallerIdentity({}), "an old session after the name is reused");
});

// ---------------------------------------------------------------------------------------------
// Identity policies

test("Put/Get/List/DeleteUserPolicy", async (t) => {
  const userName = uniq("upol");
  await admin().createUser({ userName });
  const docA = identityPolicy("kms:Encrypt", "*", "Alpha");
  const docB = identityPolicy("kms:Decrypt", "*", "Beta");
  await admin().putUserPolicy({ userName, policyName: "b-policy", policyDocument: docB });
  await admin().putUserPolicy({ userName, policyName: "a-policy", policyDocument: docA });
  t.deepEqual((await admin().listUserPolicies({ userName })).policyNames, ["a-policy", "b-policy"]);
  const got = await admin().getUserPolicy({ userName, policyName: "a-policy" });
  t.deepEqual({ userName: got.userName, policyName: got.policyName, policyDocument: got.policyDocument }, { userName, policyName: "a-policy", policyDocument: docA });

  // Put replaces.
  await admin().putUserPolicy({ userName, policyName: "a-policy", policyDocument: docB });
  t.is((await admin().getUserPolicy({ userName, policyName: "a-policy" })).policyDocument, docB);
  t.deepEqual((await admin().listUserPolicies({ userName })).policyNames, ["a-policy", "b-policy"]);

  await admin().deleteUserPolicy({ userName, policyName: "a-policy" });
  t.deepEqual((await admin().listUserPolicies({ userName })).policyNames, ["b-policy"]);
  await assertFailure(t, admin().getUserPolicy({ userName, policyName: "a-policy" }), "NotFoundException", Code.NotFound, "get a deleted policy");
  await assertFailure(t, admin().deleteUserPolicy({ userName, policyName: "a-policy" }), "NotFoundException", Code.NotFound, "delete a deleted policy");
  await assertFailure(t, admin().putUserPolicy({ userName: uniq("nobody"), policyName: "p", policyDocument: docA }), "NotFoundException", Code.NotFound, "policy on a missing user");
  await assertFailure(t, admin().putUserPolicy({ userName, policyName: "bad name", policyDocument: docA }), "ValidationException", Code.InvalidArgument, "bad policy name");
  await assertFailure(t, admin().putUserPolicy({ userName, policyName: "p", policyDocument: "" }), "ValidationException", Code.InvalidArgument, "empty document");
});

test("a malformed identity policy is MalformedPolicyDocumentException", async (t) => {
  const userName = uniq("malformed");
  await admin().createUser({ userName });
  const roleName = uniq("malformed-role");
  await admin().createRole({ roleName, assumeRolePolicyDocument: trustPolicy(`arn:aws:iam::${ACCOUNT}:user/admin`) });
  const malformed: Record<string, string> = {
    "not JSON": "{ this is not json",
    "a JSON array": "[]",
    "no Statement": JSON.stringify({ Version: "2012-10-17" }),
    "no Effect": JSON.stringify({ Version: "2012-10-17", Statement: [{ Action: "kms:Encrypt", Resource: "*" }] }),
    "Effect Maybe": JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Maybe", Action: "kms:Encrypt", Resource: "*" }] }),
    "no Resource": JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encrypt" }] }),
    "a Principal": JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:Encrypt", Resource: "*" }] }),
    "an unknown member": JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: "*", Color: "red" }] }),
  };
  for (const [what, policyDocument] of Object.entries(malformed)) {
    await assertFailure(t, admin().putUserPolicy({ userName, policyName: "p", policyDocument }), "MalformedPolicyDocumentException", Code.InvalidArgument, `user policy: ${what}`);
    await assertFailure(t, admin().putRolePolicy({ roleName, policyName: "p", policyDocument }), "MalformedPolicyDocumentException", Code.InvalidArgument, `role policy: ${what}`);
  }
  t.deepEqual((await admin().listUserPolicies({ userName })).policyNames, [], "nothing was stored");
  t.deepEqual((await admin().listRolePolicies({ roleName })).policyNames, [], "nothing was stored");
});

// ---------------------------------------------------------------------------------------------
// Roles

test("CreateRole, ListRoles, DeleteRole, and the role policy calls", async (t) => {
  const roleName = uniq("role");
  const trust = trustPolicy(`arn:aws:iam::${ACCOUNT}:user/admin`);
  const { role } = await admin().createRole({ roleName, assumeRolePolicyDocument: trust, tags: [{ tagKey: "env", tagValue: "test" }] });
  t.is(role!.roleName, roleName);
  t.is(role!.arn, `arn:aws:iam::${ACCOUNT}:role/${roleName}`);
  t.regex(role!.roleId, ROLE_ID);
  t.is(role!.assumeRolePolicyDocument, trust);
  t.is(role!.maxSessionDuration, 3600);
  await assertFailure(t, admin().createRole({ roleName, assumeRolePolicyDocument: trust }), "AlreadyExistsException", Code.AlreadyExists, "duplicate role");
  const listed = (await admin().listRoles({ limit: 1000 })).roles.find((r) => r.roleName === roleName);
  t.is(listed?.roleId, role!.roleId);
  t.is(listed?.assumeRolePolicyDocument, trust);

  const doc = identityPolicy("kms:Encrypt", "*", "RoleSid");
  await admin().putRolePolicy({ roleName, policyName: "encrypt", policyDocument: doc });
  await admin().putRolePolicy({ roleName, policyName: "another", policyDocument: identityPolicy("kms:Decrypt") });
  t.deepEqual((await admin().listRolePolicies({ roleName })).policyNames, ["another", "encrypt"]);
  const got = await admin().getRolePolicy({ roleName, policyName: "encrypt" });
  t.deepEqual({ roleName: got.roleName, policyName: got.policyName, policyDocument: got.policyDocument }, { roleName, policyName: "encrypt", policyDocument: doc });
  await admin().deleteRolePolicy({ roleName, policyName: "another" });
  t.deepEqual((await admin().listRolePolicies({ roleName })).policyNames, ["encrypt"]);
  await assertFailure(t, admin().getRolePolicy({ roleName, policyName: "another" }), "NotFoundException", Code.NotFound, "get a deleted role policy");
  await assertFailure(t, admin().deleteRolePolicy({ roleName, policyName: "another" }), "NotFoundException", Code.NotFound, "delete a deleted role policy");
  await assertFailure(t, admin().putRolePolicy({ roleName: uniq("norole"), policyName: "p", policyDocument: doc }), "NotFoundException", Code.NotFound, "policy on a missing role");

  await admin().deleteRole({ roleName });
  t.false((await admin().listRoles({ limit: 1000 })).roles.some((r) => r.roleName === roleName));
  await assertFailure(t, admin().deleteRole({ roleName }), "NotFoundException", Code.NotFound, "deleting a deleted role");
  // Recreated, the role has no policies.
  await admin().createRole({ roleName, assumeRolePolicyDocument: trust });
  t.deepEqual((await admin().listRolePolicies({ roleName })).policyNames, []);
});

test("CreateRole needs a valid trust policy, a valid name and a session length of 3600-43200", async (t) => {
  const trust = trustPolicy(`arn:aws:iam::${ACCOUNT}:user/admin`);
  await assertFailure(t, admin().createRole({ roleName: uniq("notrust") }), "ValidationException", Code.InvalidArgument, "no trust policy");
  await assertFailure(
    t,
    admin().createRole({ roleName: uniq("noprincipal"), assumeRolePolicyDocument: identityPolicy("sts:AssumeRole") }),
    "MalformedPolicyDocumentException",
    Code.InvalidArgument,
    "trust policy without Principal",
  );
  await assertFailure(t, admin().createRole({ roleName: "bad/role", assumeRolePolicyDocument: trust }), "ValidationException", Code.InvalidArgument, "bad role name");
  await assertFailure(t, admin().createRole({ roleName: uniq("short"), assumeRolePolicyDocument: trust, maxSessionDuration: 3599 }), "ValidationException", Code.InvalidArgument, "max 3599");
  await assertFailure(t, admin().createRole({ roleName: uniq("long"), assumeRolePolicyDocument: trust, maxSessionDuration: 43201 }), "ValidationException", Code.InvalidArgument, "max 43201");
  const { role } = await admin().createRole({ roleName: uniq("max"), assumeRolePolicyDocument: trust, maxSessionDuration: 43200 });
  t.is(role!.maxSessionDuration, 43200);
});

// A session is tied to the role's unique id, not its name. Regression test: before a7c915e a new
// role of the same name (new role id, possibly another trust policy) revived the old sessions.
test("DeleteRole ends the role's sessions, and recreating the role does not revive them", async (t) => {
  const roleName = uniq("ephemeral");
  const trust = trustPolicy(`arn:aws:iam::${ACCOUNT}:user/admin`);
  const { role } = await admin().createRole({ roleName, assumeRolePolicyDocument: trust });
  const assumed = await admin().assumeRole({ roleArn: role!.arn, roleSessionName: "s1" });
  const token = assumed.credentials!.sessionToken;
  secrets.add(token);
  const session = identityClient(server.url, token);
  t.is((await session.getCallerIdentity({})).arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/s1`);
  await admin().deleteRole({ roleName });
  await unauthenticated(t, session.getCallerIdentity({}), "session of a deleted role");
  // A new role of the same name is another role: the old session must stay dead.
  await admin().createRole({ roleName, assumeRolePolicyDocument: trust });
  await unauthenticated(t, session.getCallerIdentity({}), "session of a deleted role after the name is reused");
});

// ---------------------------------------------------------------------------------------------
// Accounts

test("CreateAccount returns working administrator credentials; only the management account may call it", async (t) => {
  const res = await admin().createAccount({ accountId: OTHER_ACCOUNT });
  const key = res.adminAccessKey!;
  secrets.add(key.secretAccessKey);
  t.is(res.accountId, OTHER_ACCOUNT);
  t.is(res.adminArn, `arn:aws:iam::${OTHER_ACCOUNT}:user/admin`);
  t.regex(key.accessKeyId, ACCESS_KEY_ID);
  t.is(key.secretAccessKey.length, 40);
  t.is(key.status, AccessKeyStatus.ACTIVE);
  t.is(key.userName, "admin");

  const token = await loginAs(key.accessKeyId, key.secretAccessKey);
  const other = identityClient(server.url, token);
  const me = await other.getCallerIdentity({});
  t.is(me.account, OTHER_ACCOUNT);
  t.is(me.arn, res.adminArn);
  t.regex(me.userId, USER_ID);

  // The new administrator administers its own account, and sees nothing of the first one.
  const userName = uniq("tenant-user");
  t.is((await other.createUser({ userName })).user!.arn, `arn:aws:iam::${OTHER_ACCOUNT}:user/${userName}`);
  t.deepEqual((await other.listUsers({ limit: 1000 })).users.map((u) => u.userName).sort(), ["admin", userName].sort());
  t.false((await admin().listUsers({ limit: 1000 })).users.some((u) => u.userName === userName));
  t.deepEqual((await other.listUserPolicies({ userName: "admin" })).policyNames, ["AdministratorAccess"]);
  const firstAccountUser = uniq("first-account-user");
  await admin().createUser({ userName: firstAccountUser });
  await assertFailure(t, other.listAccessKeys({ userName: firstAccountUser }), "NotFoundException", Code.NotFound, "a user of another account is not found");
  await assertFailure(t, other.deleteUser({ userName: firstAccountUser }), "NotFoundException", Code.NotFound, "a user of another account cannot be deleted");
  t.true((await admin().listUsers({ limit: 1000 })).users.some((u) => u.userName === firstAccountUser));
  const kms = allClients[0]!.connect({ url: server.url, token });
  const { keyMetadata } = await kms.createKey({ description: "tenant key" });
  t.is(keyMetadata!.awsAccountId, OTHER_ACCOUNT);

  // A principal of the new account, even its administrator, may not create accounts.
  await assertFailure(t, other.createAccount({ accountId: "999988887777" }), "AccessDeniedException", Code.PermissionDenied, "CreateAccount by the new account's admin");
  const tenantKey = (await other.createAccessKey({ userName })).accessKey!;
  secrets.add(tenantKey.secretAccessKey);
  await other.putUserPolicy({ userName, policyName: "all", policyDocument: identityPolicy("*") });
  const tenantToken = await loginAs(tenantKey.accessKeyId, tenantKey.secretAccessKey);
  await assertFailure(t, identityClient(server.url, tenantToken).createAccount({ accountId: "999988887776" }), "AccessDeniedException", Code.PermissionDenied, "CreateAccount by a user of the new account");
  await unauthenticated(t, identityClient(server.url).login({ accessKeyId: key.accessKeyId, secretAccessKey: server.admin.secret_access_key }), "the new admin's key with another secret");

  await assertFailure(t, admin().createAccount({ accountId: OTHER_ACCOUNT }), "AlreadyExistsException", Code.AlreadyExists, "existing account");
  await assertFailure(t, admin().createAccount({ accountId: ACCOUNT }), "AlreadyExistsException", Code.AlreadyExists, "the management account");
  for (const accountId of ["12345", "1234567890123", "abcdefghijkl"]) {
    await assertFailure(t, admin().createAccount({ accountId }), "ValidationException", Code.InvalidArgument, `account id ${accountId}`);
  }
});

test("a user of the management account without iam:CreateAccount may not create accounts", async (t) => {
  const { token } = await newUser("noaccounts");
  await assertFailure(t, identityClient(server.url, token).createAccount({ accountId: "999988887775" }), "AccessDeniedException", Code.PermissionDenied, "CreateAccount");
  // The refused call created nothing: the account id is still free.
  const created = await admin().createAccount({ accountId: "999988887775" });
  secrets.add(created.adminAccessKey!.secretAccessKey);
  t.is(created.accountId, "999988887775");
});

// ---------------------------------------------------------------------------------------------
// Bootstrap

test("admin-credentials.json has mode 0600 and exactly the four fields, which log in", async (t) => {
  const path = join(server.dataDir, "admin-credentials.json");
  const info = await stat(path);
  t.is(info.mode & 0o777, 0o600, `mode is ${(info.mode & 0o777).toString(8)}`);
  const content = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  t.deepEqual(Object.keys(content).sort(), ["access_key_id", "account_id", "principal_arn", "secret_access_key"]);
  t.is(content.account_id, ACCOUNT);
  t.is(content.principal_arn, `arn:aws:iam::${ACCOUNT}:user/admin`);
  t.regex(content.access_key_id as string, ACCESS_KEY_ID);
  t.is((content.secret_access_key as string).length, 40);
  const res = await identityClient(server.url).login({ accessKeyId: content.access_key_id as string, secretAccessKey: content.secret_access_key as string });
  secrets.add(res.credentials!.sessionToken);
  t.is(res.principalArn, content.principal_arn as string);
  // The log names the file, never the secret.
  t.true(server.logs.some((l) => typeof l.path === "string" && l.path.endsWith("admin-credentials.json")));
});

test("secrets and tokens stay out of the log even when calls carrying them fail", async (t) => {
  const { userName, accessKeyId, secret, token } = await newUser("logscan");
  // Failed calls carrying the secret and token: a wrong-secret login (the secret in a request
  // body), an unauthorized call (the token in a header), and a malformed token.
  await unauthenticated(t, identityClient(server.url).login({ accessKeyId, secretAccessKey: secret + "x" }), "wrong secret");
  secrets.add(secret + "x");
  await assertFailure(t, identityClient(server.url, token).createUser({ userName: uniq("x") }), "AccessDeniedException", Code.PermissionDenied, "unauthorized call");
  await unauthenticated(t, identityClient(server.url, token + "x").getCallerIdentity({}), "malformed token");
  const roleName = uniq("logrole");
  const { role } = await admin().createRole({ roleName, assumeRolePolicyDocument: trustPolicy(`arn:aws:iam::${ACCOUNT}:user/admin`) });
  const assumed = await admin().assumeRole({ roleArn: role!.arn, roleSessionName: "scan" });
  secrets.add(assumed.credentials!.sessionToken);
  await identityClient(server.url, assumed.credentials!.sessionToken).logout({});
  await admin().deleteUser({ userName });

  const raw = server.rawLogs();
  t.true(raw.includes("logscan-"), "the log mentions the calls (sanity check of the scan)");
  for (const value of [secret, secret + "x", token, assumed.credentials!.sessionToken, assumed.credentials!.awsSessionToken, assumed.credentials!.secretAccessKey, server.token, server.admin.secret_access_key]) {
    t.false(raw.includes(value), `${value.slice(0, 6)}... is in the log`);
  }
  // The secret part of a token on its own must not be logged either.
  t.false(raw.includes(token.split(".")[2]!));
});

test("a name in another letter case is judged as the name it was created with: no spelling passes a policy about another", async (t) => {
  const boss = await newUser("boss");
  const limited = await newUser("limited");
  const deny = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "iam:*", Resource: "*" },
      { Effect: "Deny", Action: "iam:*", Resource: [`arn:aws:iam::${ACCOUNT}:user/${limited.userName}`, `arn:aws:iam::${ACCOUNT}:user/${boss.userName}`] },
    ],
  });
  await admin().putUserPolicy({ userName: limited.userName, policyName: "fence", policyDocument: deny });
  const asLimited = identityClient(server.url, limited.token);
  for (const spelling of [limited.userName.toUpperCase(), limited.userName[0]!.toUpperCase() + limited.userName.slice(1)]) {
    await assertFailure(t, asLimited.putUserPolicy({ userName: spelling, policyName: "all", policyDocument: identityPolicy("*") }), "AccessDeniedException", Code.PermissionDenied, `PutUserPolicy on itself as ${spelling}`);
    await assertFailure(t, asLimited.deleteUserPolicy({ userName: spelling, policyName: "fence" }), "AccessDeniedException", Code.PermissionDenied, `removing its own Deny as ${spelling}`);
  }
  await assertFailure(t, asLimited.createAccessKey({ userName: boss.userName.toUpperCase() }), "AccessDeniedException", Code.PermissionDenied, "a key for another user");
  t.deepEqual((await admin().listUserPolicies({ userName: limited.userName })).policyNames, ["fence"]);
});

test("deactivating an access key ends its sessions for good: activating it again brings none back", async (t) => {
  const user = await newUser("reactivated");
  await admin().updateAccessKey({ userName: user.userName, accessKeyId: user.accessKeyId, status: AccessKeyStatus.INACTIVE });
  await unauthenticated(t, identityClient(server.url, user.token).getCallerIdentity({}), "the session while the key is inactive");
  await admin().updateAccessKey({ userName: user.userName, accessKeyId: user.accessKeyId, status: AccessKeyStatus.ACTIVE });
  await unauthenticated(t, identityClient(server.url, user.token).getCallerIdentity({}), "the old session once the key is active again");
  const fresh = await loginAs(user.accessKeyId, user.secret);
  t.is((await identityClient(server.url, fresh).getCallerIdentity({})).arn, user.arn, "a new session of the active key works");
});

test("AssumeRole as STS bounds it: role chaining gets at most an hour, a session policy at most 2,048 characters", async (t) => {
  const first = uniq("first");
  const second = uniq("second");
  await admin().createRole({ roleName: first, assumeRolePolicyDocument: trustPolicy(`arn:aws:iam::${ACCOUNT}:user/admin`), maxSessionDuration: 43_200 });
  await admin().putRolePolicy({ roleName: first, policyName: "assume", policyDocument: identityPolicy("sts:AssumeRole") });
  await admin().createRole({ roleName: second, assumeRolePolicyDocument: trustPolicy(`arn:aws:iam::${ACCOUNT}:role/${first}`), maxSessionDuration: 43_200 });
  const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
  const firstSession = await admin().assumeRole({ roleArn: roleArn(first), roleSessionName: "first", durationSeconds: 43_200 });
  secrets.add(firstSession.credentials!.sessionToken);
  const asFirst = identityClient(server.url, firstSession.credentials!.sessionToken);
  await assertFailure(t, asFirst.assumeRole({ roleArn: roleArn(second), roleSessionName: "chained", durationSeconds: 7200 }), "ValidationException", Code.InvalidArgument, "a chained session over an hour");
  const chained = await asFirst.assumeRole({ roleArn: roleArn(second), roleSessionName: "chained", durationSeconds: 3600 });
  secrets.add(chained.credentials!.sessionToken);
  t.truthy(chained.credentials?.sessionToken);
  const bigPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "x".repeat(2100), Effect: "Allow", Action: "kms:*", Resource: "*" }] });
  await assertFailure(t, admin().assumeRole({ roleArn: roleArn(first), roleSessionName: "big", policy: bigPolicy }), "ValidationException", Code.InvalidArgument, "a session policy over 2,048 characters");
});

test("requests on one user name, however spelled, never run at once: concurrent CreateAccessKey makes at most two keys, concurrent CreateUser one user", async (t) => {
  const userName = uniq("racer");
  await admin().createUser({ userName });
  const spellings = [userName, userName.toUpperCase(), userName[0]!.toUpperCase() + userName.slice(1), userName.toLowerCase()];
  const outcomes = await Promise.allSettled([...spellings, ...spellings].map((name) => admin().createAccessKey({ userName: name })));
  for (const o of outcomes) if (o.status === "fulfilled") secrets.add(o.value.accessKey!.secretAccessKey);
  t.is(outcomes.filter((o) => o.status === "fulfilled").length, 2);
  t.is((await admin().listAccessKeys({ userName })).accessKeyMetadata.length, 2);
  const twin = uniq("twin");
  const created = await Promise.allSettled([twin, twin.toUpperCase()].map((name) => admin().createUser({ userName: name })));
  t.is(created.filter((o) => o.status === "fulfilled").length, 1, "one user of a name, whatever its case");
});
