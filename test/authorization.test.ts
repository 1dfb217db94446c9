import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import test, { type ExecutionContext } from "ava";
import { DataKeySpec, KeyState, type KeyMetadata } from "../gen/kms/v1/types_pb.js";
import { allClients, failureOf, type ClientKind, type KmsClient } from "./support/clients.js";
import { auditClient, identityClient, login, startTestServer, type TestServer } from "./support/server.js";

// End-to-end authorization: principals made of users, inline identity policies, access keys and
// role sessions; keys with key policies; every KMS call through every client in allClients.
// Identity set-up goes through the IdentityService as the administrator.

const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "444455556666";
const ADMIN_ARN = `arn:aws:iam::${ACCOUNT}:user/admin`;
const VERSION = "2012-10-17";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

// ---------------------------------------------------------------------------------------------
// Helpers

type Statement = Record<string, unknown>;

const policyOf = (...statements: Statement[]) => JSON.stringify({ Version: VERSION, Statement: statements });
const allow = (action: string | string[], resource: string | string[] = "*", extra: Statement = {}): Statement => ({ Effect: "Allow", Action: action, Resource: resource, ...extra });
const deny = (action: string | string[], resource: string | string[] = "*", extra: Statement = {}): Statement => ({ Effect: "Deny", Action: action, Resource: resource, ...extra });
/** A key-policy statement naming principals. */
const grantTo = (principal: string | string[], action: string | string[], extra: Statement = {}): Statement => ({ Effect: "Allow", Principal: { AWS: principal }, Action: action, Resource: "*", ...extra });
/** The statement of AWS's default key policy: the account's IAM policies decide. */
const rootStatement = (account = ACCOUNT): Statement => grantTo(`arn:aws:iam::${account}:root`, "kms:*", { Sid: "Enable IAM User Permissions" });

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const uniq = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const userArn = (userName: string, account = ACCOUNT) => `arn:aws:iam::${account}:user/${userName}`;

/** The IdentityService as the management account's administrator. */
const iam = () => identityClient(server.url, server.token);

interface Principal {
  readonly userName: string;
  readonly arn: string;
  readonly token: string;
}

/** A user with inline identity policies (name -> document), one access key, logged in. */
async function newPrincipal(label: string, policies: Record<string, string> = {}, client = iam(), account = ACCOUNT): Promise<Principal> {
  const userName = uniq(label);
  const { user } = await client.createUser({ userName });
  for (const [policyName, policyDocument] of Object.entries(policies)) await client.putUserPolicy({ userName, policyName, policyDocument });
  const { accessKey } = await client.createAccessKey({ userName });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  if (user!.arn !== userArn(userName, account)) throw new Error(`unexpected user ARN ${user!.arn}`);
  return { userName, arn: user!.arn, token };
}

/** A user created but not logged in, so key policies can name it before its session exists. */
async function newUserName(label: string): Promise<string> {
  const userName = uniq(label);
  await iam().createUser({ userName });
  return userName;
}

/** Logs an existing user in with a fresh access key. */
async function loginUser(userName: string, client = iam()): Promise<Principal> {
  const { accessKey } = await client.createAccessKey({ userName });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  return { userName, arn: userArn(userName), token };
}

async function newKey(kms: KmsClient, init: Parameters<KmsClient["createKey"]>[0] = {}): Promise<KeyMetadata> {
  const { keyMetadata } = await kms.createKey(init);
  if (!keyMetadata) throw new Error("CreateKey returned no key_metadata");
  return keyMetadata;
}

async function describe(kms: KmsClient, keyId: string): Promise<KeyMetadata> {
  const { keyMetadata } = await kms.describeKey({ keyId });
  if (!keyMetadata) throw new Error("DescribeKey returned no key_metadata");
  return keyMetadata;
}

/** Asserts the call fails with AccessDeniedException (PERMISSION_DENIED) and returns the message. */
async function assertDenied(t: ExecutionContext, call: Promise<unknown>, what: string): Promise<string> {
  const failure = await failureOf(call);
  t.is(failure.exception, "AccessDeniedException", `${what}: ${failure.message}`);
  t.is(failure.code, Code.PermissionDenied, `${what}: status code`);
  return failure.message;
}

async function assertFailure(t: ExecutionContext, call: Promise<unknown>, exception: string, code: Code, what: string): Promise<string> {
  const failure = await failureOf(call);
  t.is(failure.exception, exception, `${what}: ${failure.message}`);
  t.is(failure.code, code, `${what}: status code`);
  return failure.message;
}

/** Encrypts and decrypts a message, asserting the round trip. */
async function assertRoundTrip(t: ExecutionContext, kms: KmsClient, keyId: string, what: string, encryptionContext: Record<string, string> = {}): Promise<Uint8Array> {
  const message = `${what} ${randomUUID()}`;
  const enc = await kms.encrypt({ keyId, plaintext: bytes(message), encryptionContext });
  t.true(enc.ciphertextBlob.length > message.length, `${what}: a ciphertext`);
  const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext });
  t.is(text(dec.plaintext), message, `${what}: the round trip`);
  return enc.ciphertextBlob;
}

const connectAs = (kind: ClientKind, principal: { token: string }) => kind.connect({ url: server.url, token: principal.token });

/** The second account, created once by the administrator: its administrator's session and IdentityService client. */
let otherAccount: Promise<{ token: string; iam: ReturnType<typeof identityClient> }> | undefined;
function secondAccount(): Promise<{ token: string; iam: ReturnType<typeof identityClient> }> {
  otherAccount ??= (async () => {
    const created = await iam().createAccount({ accountId: OTHER_ACCOUNT });
    const key = created.adminAccessKey!;
    const token = await login(server.url, key.accessKeyId, key.secretAccessKey);
    return { token, iam: identityClient(server.url, token) };
  })();
  return otherAccount;
}

const KEY_ADMIN_ACTIONS = [
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
const KEY_USER_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

for (const kind of allClients) {
  const asAdmin = () => kind.connect(server);

  // -------------------------------------------------------------------------------------------
  // A key policy that names its administrators and its users

  test(`${kind.name}: key administrators manage the key but cannot use it; key users use it but cannot manage it`, async (t) => {
    const keyadminName = await newUserName("keyadmin");
    const appName = await newUserName("app");
    const policy = policyOf(
      rootStatement(),
      grantTo(userArn(keyadminName), KEY_ADMIN_ACTIONS, { Sid: "Allow access for Key Administrators" }),
      grantTo(userArn(appName), KEY_USER_ACTIONS, { Sid: "Allow use of the key" }),
    );
    const key = await newKey(asAdmin(), { policy, description: "administered" });
    // No identity policies: the key policy names them directly.
    t.deepEqual((await iam().listUserPolicies({ userName: keyadminName })).policyNames, []);
    t.deepEqual((await iam().listUserPolicies({ userName: appName })).policyNames, []);
    const keyadmin = connectAs(kind, await loginUser(keyadminName));
    const app = connectAs(kind, await loginUser(appName));

    // The administrator manages.
    t.is((await describe(keyadmin, key.keyId)).keyState, KeyState.ENABLED);
    await keyadmin.disableKey({ keyId: key.keyId });
    t.is((await describe(keyadmin, key.keyId)).keyState, KeyState.DISABLED);
    await keyadmin.enableKey({ keyId: key.keyId });
    t.is((await describe(keyadmin, key.keyId)).keyState, KeyState.ENABLED);
    await keyadmin.updateKeyDescription({ keyId: key.keyId, description: "changed by keyadmin" });
    t.is((await describe(asAdmin(), key.keyId)).description, "changed by keyadmin");
    const scheduled = await keyadmin.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 7 });
    t.is(scheduled.keyState, KeyState.PENDING_DELETION);
    t.is((await describe(asAdmin(), key.keyId)).keyState, KeyState.PENDING_DELETION);
    await keyadmin.cancelKeyDeletion({ keyId: key.keyId });
    t.is((await describe(keyadmin, key.keyId)).keyState, KeyState.DISABLED);
    await keyadmin.enableKey({ keyId: key.keyId });
    t.is((await keyadmin.getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy, policy);

    // ... but does not use.
    const ciphertext = (await app.encrypt({ keyId: key.keyId, plaintext: bytes("for the app only") })).ciphertextBlob;
    await assertDenied(t, keyadmin.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "keyadmin Encrypt");
    await assertDenied(t, keyadmin.decrypt({ ciphertextBlob: ciphertext }), "keyadmin Decrypt");
    await assertDenied(t, keyadmin.generateDataKey({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 }), "keyadmin GenerateDataKey");

    // The user uses.
    t.is(text((await app.decrypt({ ciphertextBlob: ciphertext })).plaintext), "for the app only");
    await assertRoundTrip(t, app, key.keyId, "app");
    await assertRoundTrip(t, app, key.arn, "app by key ARN");
    const dataKey = await app.generateDataKey({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 });
    t.is(dataKey.plaintext.length, 32);
    t.deepEqual((await app.decrypt({ ciphertextBlob: dataKey.ciphertextBlob })).plaintext, dataKey.plaintext);
    const reEncrypted = await app.reEncrypt({ ciphertextBlob: ciphertext, destinationKeyId: key.keyId });
    t.is(text((await app.decrypt({ ciphertextBlob: reEncrypted.ciphertextBlob })).plaintext), "for the app only");
    t.is((await describe(app, key.keyId)).description, "changed by keyadmin");

    // ... but does not manage.
    await assertDenied(t, app.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 7 }), "app ScheduleKeyDeletion");
    await assertDenied(t, app.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: policyOf(rootStatement()) }), "app PutKeyPolicy");
    await assertDenied(t, app.disableKey({ keyId: key.keyId }), "app DisableKey");
    await assertDenied(t, app.updateKeyDescription({ keyId: key.keyId, description: "by app" }), "app UpdateKeyDescription");
    await assertDenied(t, app.getKeyPolicy({ keyId: key.keyId, policyName: "default" }), "app GetKeyPolicy");
    const after = await describe(asAdmin(), key.keyId);
    t.is(after.keyState, KeyState.ENABLED, "the denied calls changed nothing");
    t.is(after.description, "changed by keyadmin");
    t.is((await asAdmin().getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy, policy);
  });

  // -------------------------------------------------------------------------------------------
  // A key policy without the root statement

  test(`${kind.name}: without the root statement, IAM policies grant nothing on the key; naming the user does`, async (t) => {
    const power = await newPrincipal("power", { everything: policyOf(allow("kms:*")) });
    const namedName = await newUserName("named");
    const key = await newKey(asAdmin(), {
      policy: policyOf(grantTo(ADMIN_ARN, "kms:*", { Sid: "Admin" }), grantTo(userArn(namedName), ["kms:Encrypt", "kms:Decrypt"], { Sid: "Named" })),
    });
    const named = connectAs(kind, await loginUser(namedName));
    const powerKms = connectAs(kind, power);
    const message = await assertDenied(t, powerKms.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "kms:* in IAM, key policy without root");
    t.true(message.includes("resource-based"), `the refusal names the missing key policy: ${message}`);
    const ciphertext = await assertRoundTrip(t, named, key.keyId, "named in the key policy");
    await assertDenied(t, powerKms.decrypt({ ciphertextBlob: ciphertext }), "kms:* in IAM decrypting");
    await assertDenied(t, powerKms.describeKey({ keyId: key.keyId }), "kms:* in IAM describing");
    // The same user becomes allowed once the key policy names it.
    await asAdmin().putKeyPolicy({
      keyId: key.keyId,
      policyName: "default",
      policy: policyOf(grantTo(ADMIN_ARN, "kms:*"), grantTo([userArn(namedName), power.arn], ["kms:Encrypt", "kms:Decrypt"])),
    });
    await assertRoundTrip(t, powerKms, key.keyId, "power once named");
  });

  test(`${kind.name}: a key created with bypass_policy_lockout_safety_check locks out even the administrator`, async (t) => {
    const namedName = await newUserName("only");
    const policy = policyOf(grantTo(userArn(namedName), ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]));
    await assertFailure(t, asAdmin().createKey({ policy }), "MalformedPolicyDocumentException", Code.InvalidArgument, "without bypass");
    const key = await newKey(asAdmin(), { policy, bypassPolicyLockoutSafetyCheck: true });
    await assertDenied(t, asAdmin().describeKey({ keyId: key.keyId }), "administrator (Action * in IAM) DescribeKey");
    await assertDenied(t, asAdmin().encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "administrator Encrypt");
    await assertDenied(t, asAdmin().putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: policyOf(rootStatement()) }), "administrator PutKeyPolicy");
    const named = connectAs(kind, await loginUser(namedName));
    await assertRoundTrip(t, named, key.keyId, "the one named principal");
    t.is((await describe(named, key.keyId)).keyState, KeyState.ENABLED);
  });

  // -------------------------------------------------------------------------------------------
  // The default key policy: IAM decides

  test(`${kind.name}: under the default key policy an IAM allow is needed, takes effect at once, and an IAM deny wins`, async (t) => {
    const key = await newKey(asAdmin());
    const otherKey = await newKey(asAdmin());
    const plain = await newPrincipal("plain");
    const kms = connectAs(kind, plain);
    const message = await assertDenied(t, kms.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "no identity policy");
    t.true(message.includes("identity-based"), `the refusal names the missing identity policy: ${message}`);

    await iam().putUserPolicy({ userName: plain.userName, policyName: "encrypt", policyDocument: policyOf(allow("kms:Encrypt", key.arn)) });
    const enc = await kms.encrypt({ keyId: key.keyId, plaintext: bytes("allowed now") });
    t.is(text((await asAdmin().decrypt({ ciphertextBlob: enc.ciphertextBlob })).plaintext), "allowed now");
    t.is(enc.keyId, key.arn);
    await assertDenied(t, kms.decrypt({ ciphertextBlob: enc.ciphertextBlob }), "Decrypt is not Encrypt");
    await assertDenied(t, kms.encrypt({ keyId: otherKey.keyId, plaintext: bytes("x") }), "the allow names one key ARN");

    await iam().putUserPolicy({ userName: plain.userName, policyName: "deny", policyDocument: policyOf(deny("kms:Encrypt", key.arn)) });
    const denied = await assertDenied(t, kms.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "IAM deny beside IAM allow");
    t.true(denied.includes("explicit deny"), denied);
    await iam().deleteUserPolicy({ userName: plain.userName, policyName: "deny" });
    t.is(text((await asAdmin().decrypt({ ciphertextBlob: (await kms.encrypt({ keyId: key.keyId, plaintext: bytes("again") })).ciphertextBlob })).plaintext), "again");
    await iam().deleteUserPolicy({ userName: plain.userName, policyName: "encrypt" });
    await assertDenied(t, kms.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "the allow removed");
  });

  test(`${kind.name}: an IAM deny beats a key policy that names the user`, async (t) => {
    const userName = await newUserName("denied");
    const key = await newKey(asAdmin(), { policy: policyOf(rootStatement(), grantTo(userArn(userName), ["kms:Encrypt", "kms:Decrypt"])) });
    const user = await loginUser(userName);
    const kms = connectAs(kind, user);
    await assertRoundTrip(t, kms, key.keyId, "named, no IAM policy");
    await iam().putUserPolicy({ userName, policyName: "no-encrypt", policyDocument: policyOf(deny("kms:Encrypt")) });
    const message = await assertDenied(t, kms.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "IAM deny against the key policy's allow");
    t.true(message.includes("explicit deny in an identity-based policy"), message);
    const ciphertext = (await asAdmin().encrypt({ keyId: key.keyId, plaintext: bytes("still decrypts") })).ciphertextBlob;
    t.is(text((await kms.decrypt({ ciphertextBlob: ciphertext })).plaintext), "still decrypts", "the deny is only for Encrypt");
  });

  // -------------------------------------------------------------------------------------------
  // Cross-account

  test(`${kind.name}: another account's user needs both the key policy and its IAM policy, and the key ARN`, async (t) => {
    const { iam: other, token: otherAdminToken } = await secondAccount();
    const key = await newKey(asAdmin());
    const xuser = await newPrincipal("xuser", { "use-key": policyOf(allow("kms:Encrypt", key.arn)) }, other, OTHER_ACCOUNT);
    const kms = connectAs(kind, xuser);
    t.is((await identityClient(server.url, xuser.token).getCallerIdentity({})).account, OTHER_ACCOUNT);

    const untrusted = await assertDenied(t, kms.encrypt({ keyId: key.arn, plaintext: bytes("x") }), "key policy does not trust the account");
    t.true(untrusted.includes(xuser.arn) && untrusted.includes(key.arn), untrusted);

    await asAdmin().putKeyPolicy({
      keyId: key.keyId,
      policyName: "default",
      policy: policyOf(rootStatement(), grantTo(`arn:aws:iam::${OTHER_ACCOUNT}:root`, "kms:Encrypt", { Sid: "TrustOtherAccount" })),
    });
    const enc = await kms.encrypt({ keyId: key.arn, plaintext: bytes("across accounts") });
    t.is(enc.keyId, key.arn);
    t.is(text((await asAdmin().decrypt({ ciphertextBlob: enc.ciphertextBlob })).plaintext), "across accounts");

    await assertFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "NotFoundException", Code.NotFound, "bare key id from another account");
    await assertDenied(t, kms.decrypt({ ciphertextBlob: enc.ciphertextBlob }), "Decrypt is not trusted");
    await assertDenied(t, kms.disableKey({ keyId: key.arn }), "DisableKey is not trusted");
    // Even the other account's administrator (Action * in IAM) gets only what the key policy trusts.
    const otherAdmin = kind.connect({ url: server.url, token: otherAdminToken });
    t.is((await otherAdmin.encrypt({ keyId: key.arn, plaintext: bytes("y") })).keyId, key.arn);
    await assertDenied(t, otherAdmin.scheduleKeyDeletion({ keyId: key.arn, pendingWindowInDays: 7 }), "other admin ScheduleKeyDeletion");
    t.is((await describe(asAdmin(), key.keyId)).keyState, KeyState.ENABLED);

    await other.deleteUserPolicy({ userName: xuser.userName, policyName: "use-key" });
    const noIam = await assertDenied(t, kms.encrypt({ keyId: key.arn, plaintext: bytes("x") }), "key policy trusts, no IAM allow");
    t.true(noIam.includes("identity-based"), noIam);
  });

  // -------------------------------------------------------------------------------------------
  // Conditions

  test(`${kind.name}: a kms:EncryptionContext condition in the key policy`, async (t) => {
    const appName = await newUserName("tenant-app");
    const key = await newKey(asAdmin(), {
      policy: policyOf(
        rootStatement(),
        grantTo(userArn(appName), ["kms:Encrypt", "kms:Decrypt"], { Condition: { StringEquals: { "kms:EncryptionContext:tenant": "acme" } } }),
      ),
    });
    const app = connectAs(kind, await loginUser(appName));
    const ciphertext = await assertRoundTrip(t, app, key.keyId, "tenant acme", { tenant: "acme" });
    await assertRoundTrip(t, app, key.keyId, "tenant acme with more context", { tenant: "acme", purpose: "test" });
    await assertDenied(t, app.encrypt({ keyId: key.keyId, plaintext: bytes("x"), encryptionContext: { tenant: "other" } }), "tenant other");
    await assertDenied(t, app.encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "no encryption context");
    await assertDenied(t, app.encrypt({ keyId: key.keyId, plaintext: bytes("x"), encryptionContext: { tenant: "ACME" } }), "values are case-sensitive");
    await assertDenied(t, app.decrypt({ ciphertextBlob: ciphertext, encryptionContext: { tenant: "other" } }), "Decrypt claiming another tenant");
    await assertDenied(t, app.decrypt({ ciphertextBlob: ciphertext }), "Decrypt without the context");
  });

  test(`${kind.name}: policy variables: a key policy binds the encryption context to the caller, and the variable's own text is no way around it`, async (t) => {
    const ownerName = await newUserName("owner");
    const key = await newKey(asAdmin(), {
      policy: policyOf(
        rootStatement(),
        grantTo(userArn(ownerName), ["kms:Encrypt", "kms:Decrypt"]),
        { Effect: "Deny", Principal: "*", Action: "kms:Encrypt", Resource: "*", Condition: { StringNotEquals: { "kms:EncryptionContext:owner": "${aws:username}" } } },
      ),
    });
    const owner = connectAs(kind, await loginUser(ownerName));
    await assertRoundTrip(t, owner, key.keyId, "its own name", { owner: ownerName });
    await assertDenied(t, owner.encrypt({ keyId: key.keyId, plaintext: bytes("x"), encryptionContext: { owner: "${aws:username}" } }), "the variable as text");
    await assertDenied(t, owner.encrypt({ keyId: key.keyId, plaintext: bytes("x"), encryptionContext: { owner: "someone-else" } }), "another name");
  });

  // -------------------------------------------------------------------------------------------
  // AssumeRole

  test(`${kind.name}: AssumeRole with trust, role and session policies`, async (t) => {
    const callerName = await newUserName("caller");
    const roleName = uniq("encryptor");
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/${roleName}`;
    const { role } = await iam().createRole({
      roleName,
      assumeRolePolicyDocument: JSON.stringify({ Version: VERSION, Statement: [{ Effect: "Allow", Principal: { AWS: userArn(callerName) }, Action: "sts:AssumeRole" }] }),
    });
    await iam().putRolePolicy({ roleName, policyName: "crypto", policyDocument: policyOf(allow(["kms:Encrypt", "kms:Decrypt"])) });
    await iam().putUserPolicy({ userName: callerName, policyName: "assume", policyDocument: policyOf(allow("sts:AssumeRole", roleArn)) });
    const caller = await loginUser(callerName);
    const callerIam = identityClient(server.url, caller.token);
    const key = await newKey(asAdmin());

    // The caller itself may not use the key; the role may.
    await assertDenied(t, connectAs(kind, caller).encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "the caller without the role");
    const assumed = await callerIam.assumeRole({ roleArn, roleSessionName: `full-${kind.name}` });
    const sessionArn = `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/full-${kind.name}`;
    t.is(assumed.assumedRoleUser!.arn, sessionArn);
    t.is(assumed.assumedRoleUser!.assumedRoleId, `${role!.roleId}:full-${kind.name}`);
    const full = { token: assumed.credentials!.sessionToken };
    const me = await identityClient(server.url, full.token).getCallerIdentity({});
    t.deepEqual({ account: me.account, arn: me.arn, userId: me.userId }, { account: ACCOUNT, arn: sessionArn, userId: `${role!.roleId}:full-${kind.name}` });
    const fullKms = connectAs(kind, full);
    const ciphertext = await assertRoundTrip(t, fullKms, key.keyId, "role session");
    await assertDenied(t, fullKms.disableKey({ keyId: key.keyId }), "role session beyond the role policy");
    await assertDenied(t, fullKms.listKeys({}), "role session ListKeys");

    // A session policy narrows the session to Encrypt.
    const narrowed = await callerIam.assumeRole({ roleArn, roleSessionName: `narrow-${kind.name}`, policy: policyOf(allow("kms:Encrypt")) });
    const narrowKms = connectAs(kind, { token: narrowed.credentials!.sessionToken });
    const enc = await narrowKms.encrypt({ keyId: key.keyId, plaintext: bytes("narrow") });
    t.is(text((await fullKms.decrypt({ ciphertextBlob: enc.ciphertextBlob })).plaintext), "narrow");
    const narrowDenial = await assertDenied(t, narrowKms.decrypt({ ciphertextBlob: ciphertext }), "Decrypt outside the session policy");
    t.true(narrowDenial.includes(`assumed-role/${roleName}/narrow-${kind.name}`) && narrowDenial.includes("kms:Decrypt"), narrowDenial);
    // A session policy can never add what the role lacks.
    const wider = await callerIam.assumeRole({ roleArn, roleSessionName: `wide-${kind.name}`, policy: policyOf(allow("kms:*")) });
    await assertDenied(t, connectAs(kind, { token: wider.credentials!.sessionToken }).disableKey({ keyId: key.keyId }), "session policy wider than the role");
    t.is((await describe(asAdmin(), key.keyId)).keyState, KeyState.ENABLED);
  });

  test(`${kind.name}: AssumeRole needs the trust policy and sts:AssumeRole in the caller's IAM policy`, async (t) => {
    const trustedName = await newUserName("trusted");
    const roleName = uniq("guarded");
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/${roleName}`;
    await iam().createRole({
      roleName,
      assumeRolePolicyDocument: JSON.stringify({ Version: VERSION, Statement: [{ Effect: "Allow", Principal: { AWS: userArn(trustedName) }, Action: "sts:AssumeRole" }] }),
    });
    const assumePolicy = { assume: policyOf(allow("sts:AssumeRole", roleArn)) };
    const stranger = await newPrincipal("stranger", assumePolicy);
    const strangerDenial = await assertDenied(t, identityClient(server.url, stranger.token).assumeRole({ roleArn, roleSessionName: "s1" }), "not in the trust policy");
    t.true(strangerDenial.includes(stranger.arn) && strangerDenial.includes("sts:AssumeRole") && strangerDenial.includes(roleArn), strangerDenial);

    // A role whose trust policy trusts the whole account: the account's IAM policies decide.
    const accountRoleName = uniq("account-trusting");
    const accountRoleArn = `arn:aws:iam::${ACCOUNT}:role/${accountRoleName}`;
    await iam().createRole({
      roleName: accountRoleName,
      assumeRolePolicyDocument: JSON.stringify({ Version: VERSION, Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] }),
    });
    const noIam = await newPrincipal("no-assume");
    const noIamDenial = await assertDenied(t, identityClient(server.url, noIam.token).assumeRole({ roleArn: accountRoleArn, roleSessionName: "s1" }), "no sts:AssumeRole in IAM");
    t.true(noIamDenial.includes(noIam.arn) && noIamDenial.includes("sts:AssumeRole"), noIamDenial);
    const otherRoleOnly = await newPrincipal("wrong-role", assumePolicy);
    await assertDenied(t, identityClient(server.url, otherRoleOnly.token).assumeRole({ roleArn: accountRoleArn, roleSessionName: "s1" }), "sts:AssumeRole on another role only");
    // With the IAM allow, the account-trusting role can be assumed.
    await iam().putUserPolicy({ userName: noIam.userName, policyName: "assume", policyDocument: policyOf(allow("sts:AssumeRole", accountRoleArn)) });
    const ok = await identityClient(server.url, noIam.token).assumeRole({ roleArn: accountRoleArn, roleSessionName: "s1" });
    t.is(ok.assumedRoleUser!.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${accountRoleName}/s1`);
    // And the trusted user with its IAM allow assumes the guarded role.
    const trusted = await loginUser(trustedName);
    await iam().putUserPolicy({ userName: trustedName, policyName: "assume", policyDocument: assumePolicy.assume });
    t.is((await identityClient(server.url, trusted.token).assumeRole({ roleArn, roleSessionName: "t1" })).assumedRoleUser!.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/t1`);
    // The session is the role's: the role has no policies, so it may do nothing in KMS.
    const roleDenial = await assertDenied(t, connectAs(kind, { token: ok.credentials!.sessionToken }).listKeys({}), "session of a role without policies");
    t.true(roleDenial.includes(`assumed-role/${accountRoleName}/s1`), roleDenial);
  });

  // -------------------------------------------------------------------------------------------
  // The policy lockout safety check

  test(`${kind.name}: PutKeyPolicy and CreateKey refuse a policy that would lock the caller out, unless bypassed`, async (t) => {
    const lkName = await newUserName("lockout");
    const own = (actions: string[]) => grantTo(userArn(lkName), actions, { Sid: "Owner" });
    const original = policyOf(rootStatement(), own(["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey"]));
    const key = await newKey(asAdmin(), { policy: original });
    const lk = connectAs(kind, await loginUser(lkName));
    const lockingOut = policyOf(rootStatement(), own(["kms:GetKeyPolicy", "kms:DescribeKey"]));

    await assertFailure(t, lk.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: lockingOut }), "MalformedPolicyDocumentException", Code.InvalidArgument, "PutKeyPolicy locking the caller out");
    t.is((await lk.getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy, original, "the refused policy was not stored");
    // A policy that keeps the caller's PutKeyPolicy is accepted.
    const keeping = policyOf(rootStatement(), own(["kms:PutKeyPolicy", "kms:GetKeyPolicy"]));
    await lk.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: keeping });
    t.is((await lk.getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy, keeping);
    // Bypassed, the locking policy is stored, and the caller is locked out indeed.
    await lk.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: lockingOut, bypassPolicyLockoutSafetyCheck: true });
    t.is((await lk.getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy, lockingOut);
    await assertDenied(t, lk.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: original }), "PutKeyPolicy after the lockout");

    // CreateKey: the caller's IAM policy allows CreateKey only, the key policy would not let it PutKeyPolicy.
    const creator = await newPrincipal("creator", { create: policyOf(allow("kms:CreateKey")) });
    const creatorKms = connectAs(kind, creator);
    const foreign = policyOf(rootStatement(), grantTo(creator.arn, ["kms:DescribeKey", "kms:Encrypt"]));
    await assertFailure(t, creatorKms.createKey({ policy: foreign }), "MalformedPolicyDocumentException", Code.InvalidArgument, "CreateKey locking the creator out");
    const bypassed = await newKey(creatorKms, { policy: foreign, bypassPolicyLockoutSafetyCheck: true });
    t.is((await asAdmin().getKeyPolicy({ keyId: bypassed.keyId, policyName: "default" })).policy, foreign);
    const owned = policyOf(rootStatement(), grantTo(creator.arn, ["kms:PutKeyPolicy", "kms:DescribeKey"]));
    const ownedKey = await newKey(creatorKms, { policy: owned });
    t.is((await describe(creatorKms, ownedKey.keyId)).keyId, ownedKey.keyId);
  });

  // -------------------------------------------------------------------------------------------
  // Denied calls have no effect

  test(`${kind.name}: denied management calls change nothing`, async (t) => {
    const deniedName = await newUserName("blocked");
    const policy = policyOf(
      rootStatement(),
      { Sid: "BlockManagement", Effect: "Deny", Principal: { AWS: userArn(deniedName) }, Action: ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:UpdateKeyDescription"], Resource: "*" },
    );
    const key = await newKey(asAdmin(), { policy, description: "untouchable" });
    const before = await describe(asAdmin(), key.keyId);
    const policyBefore = (await asAdmin().getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy;

    const nobody = connectAs(kind, await newPrincipal("nobody")); // no identity policy at all
    await iam().putUserPolicy({ userName: deniedName, policyName: "all", policyDocument: policyOf(allow("kms:*")) });
    const blocked = connectAs(kind, await loginUser(deniedName)); // IAM allows kms:*, the key policy denies
    for (const [who, kms] of [["no identity policy", nobody], ["explicit deny", blocked]] as const) {
      await assertDenied(t, kms.disableKey({ keyId: key.keyId }), `${who}: DisableKey`);
      await assertDenied(t, kms.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: policyOf(rootStatement()), bypassPolicyLockoutSafetyCheck: true }), `${who}: PutKeyPolicy`);
      await assertDenied(t, kms.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 7 }), `${who}: ScheduleKeyDeletion`);
      await assertDenied(t, kms.updateKeyDescription({ keyId: key.keyId, description: "defaced" }), `${who}: UpdateKeyDescription`);
    }
    t.deepEqual(await describe(asAdmin(), key.keyId), before);
    t.deepEqual((await asAdmin().getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy, policyBefore);
    // The blocked user is otherwise allowed (IAM kms:* through the root statement): the deny is what stopped it.
    t.is((await describe(blocked, key.keyId)).description, "untouchable");
  });

  // -------------------------------------------------------------------------------------------
  // Denial messages

  test(`${kind.name}: AccessDeniedException names principal, action and key, never the policy`, async (t) => {
    const denyName = await newUserName("msg-deny");
    const policy = policyOf(
      { ...rootStatement(), Sid: "SidZebraRoot7731" },
      { Sid: "SidZebraDeny7731", Effect: "Deny", Principal: { AWS: userArn(denyName) }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalType": "User" } } },
    );
    const key = await newKey(asAdmin(), { policy });
    const ciphertext = (await asAdmin().encrypt({ keyId: key.keyId, plaintext: bytes("secret words") })).ciphertextBlob;

    const plain = await newPrincipal("msg-plain", { quagga: policyOf(allow("kms:Encrypt", "*", { Sid: "SidQuaggaAllow5512" })) });
    await iam().putUserPolicy({ userName: denyName, policyName: "all", policyDocument: policyOf(allow("kms:*", "*", { Sid: "SidQuaggaAll5512" })) });
    const denied = await loginUser(denyName);

    const noAllow = await assertDenied(t, connectAs(kind, plain).decrypt({ ciphertextBlob: ciphertext }), "no allow");
    const explicit = await assertDenied(t, connectAs(kind, denied).decrypt({ ciphertextBlob: ciphertext }), "explicit deny");
    for (const [what, message, principal] of [["no allow", noAllow, plain.arn], ["explicit deny", explicit, denied.arn]] as const) {
      t.true(message.includes(principal), `${what}: names the principal: ${message}`);
      t.true(message.includes("kms:Decrypt"), `${what}: names the action: ${message}`);
      t.true(message.includes(key.arn), `${what}: names the key ARN: ${message}`);
      for (const leak of ["Zebra", "Quagga", "Statement", "Effect", "aws:PrincipalType", "{", "secret words"]) {
        t.false(message.includes(leak), `${what}: the message contains ${JSON.stringify(leak)}: ${message}`);
      }
    }
    t.regex(explicit, /explicit deny/);
    t.is(noAllow, `User: ${plain.arn} is not authorized to perform: kms:Decrypt on resource: ${key.arn} because no identity-based policy allows the kms:Decrypt action`);
  });

  // -------------------------------------------------------------------------------------------
  // Key-less actions

  test(`${kind.name}: key-less actions (CreateKey, ListKeys, GenerateRandom) need an IAM allow`, async (t) => {
    const user = await newPrincipal("keyless");
    const kms = connectAs(kind, user);
    for (const [action, call] of [
      ["kms:CreateKey", kms.createKey({})],
      ["kms:ListKeys", kms.listKeys({})],
      ["kms:GenerateRandom", kms.generateRandom({ numberOfBytes: 16 })],
    ] as const) {
      const message = await assertDenied(t, call, action);
      t.true(message.includes(action) && message.includes(user.arn), message);
    }
    await iam().putUserPolicy({ userName: user.userName, policyName: "more", policyDocument: policyOf(allow(["kms:ListKeys", "kms:GenerateRandom"])) });
    t.is((await kms.generateRandom({ numberOfBytes: 16 })).plaintext.length, 16);
    const adminKey = await newKey(asAdmin());
    const listed: string[] = [];
    for (let marker = "", more = true; more; ) {
      const page = await kms.listKeys({ limit: 1000, marker });
      listed.push(...page.keys.map((k) => k.keyId));
      [marker, more] = [page.nextMarker, page.truncated];
    }
    t.true(listed.includes(adminKey.keyId), "ListKeys lists the account's keys");
    await assertDenied(t, kms.createKey({}), "CreateKey still denied");
    // Allowed to create a key whose policy lets it manage the key (so the lockout check passes).
    await iam().putUserPolicy({ userName: user.userName, policyName: "create", policyDocument: policyOf(allow("kms:CreateKey")) });
    const key = await newKey(kms, { policy: policyOf(rootStatement(), grantTo(user.arn, ["kms:PutKeyPolicy", "kms:DescribeKey"])) });
    t.is(key.awsAccountId, ACCOUNT);
    t.true((await kms.listKeys({ limit: 1000 })).keys.some((k) => k.keyId === key.keyId));
  });

  // Regression: CreateKey without a policy once ran the lockout check on the default key policy, so a
  // principal whose IAM policy allows kms:CreateKey but not kms:PutKeyPolicy cannot create a key:
  // MalformedPolicyDocumentException. AWS checks only a policy the caller provides ("If you provide
  // a key policy, it must ... allow the calling principal to make a subsequent PutKeyPolicy
  // request"); with no policy it attaches the default one and succeeds.
  test(`${kind.name}: an IAM allow for kms:CreateKey alone creates a key with the default policy`, async (t) => {
    const user = await newPrincipal("creator-only", { create: policyOf(allow("kms:CreateKey")) });
    const kms = connectAs(kind, user);
    const key = await newKey(kms, { description: "default policy" });
    t.is(key.awsAccountId, ACCOUNT);
    const policy = JSON.parse((await asAdmin().getKeyPolicy({ keyId: key.keyId, policyName: "default" })).policy) as { Statement: Array<{ Principal: { AWS: string } }> };
    t.is(policy.Statement[0]!.Principal.AWS, `arn:aws:iam::${ACCOUNT}:root`);
    await assertDenied(t, kms.describeKey({ keyId: key.keyId }), "the creator has no IAM allow for DescribeKey");
  });
}

test("AssumeRole decides as STS does: a trust policy naming a caller of its account suffices; one naming the account, or a caller of another account, needs an IAM allow too", async (t) => {
  const trustOnly = (principal: string) => JSON.stringify({ Version: VERSION, Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole" }] });
  const named = await newPrincipal("named-in-trust");
  const namingRole = uniq("names-user");
  const namingArn = `arn:aws:iam::${ACCOUNT}:role/${namingRole}`;
  await iam().createRole({ roleName: namingRole, assumeRolePolicyDocument: trustOnly(named.arn) });
  // No identity policy at all: the trust policy names the user, in the user's own account.
  const session = await identityClient(server.url, named.token).assumeRole({ roleArn: namingArn, roleSessionName: "direct" });
  t.is(session.assumedRoleUser!.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${namingRole}/direct`);
  const { records } = await auditClient(server.url, server.token).listAuditRecords({ principal: named.arn, limit: 10 });
  const assumed = records.find((r) => r.rpc === "kms.v1.IdentityService/AssumeRole" && r.outcome === "ok");
  t.deepEqual(assumed?.access.map((a) => [a.action, a.resource, a.decidedBy]), [["sts:AssumeRole", namingArn, ["trust-policy statement 0"]]], "the trust policy alone allowed it, on record");

  // A trust policy naming the account leaves the decision to the account's IAM policies.
  const accountRole = uniq("names-account");
  const accountRoleArn = `arn:aws:iam::${ACCOUNT}:role/${accountRole}`;
  await iam().createRole({ roleName: accountRole, assumeRolePolicyDocument: trustOnly(`arn:aws:iam::${ACCOUNT}:root`) });
  // STS's refusal never says why (the reason is in the audit record): a reason would tell which roles exist.
  const refusal = (who: Principal, roleArn: string) => `User: ${who.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
  t.is(await assertDenied(t, identityClient(server.url, named.token).assumeRole({ roleArn: accountRoleArn, roleSessionName: "s" }), "account trust, no IAM allow"), refusal(named, accountRoleArn));

  // An explicit deny in the caller's IAM policy wins over the trust policy naming it.
  await iam().putUserPolicy({ userName: named.userName, policyName: "no-roles", policyDocument: policyOf(deny("sts:AssumeRole")) });
  t.is(await assertDenied(t, identityClient(server.url, named.token).assumeRole({ roleArn: namingArn, roleSessionName: "s" }), "IAM deny"), refusal(named, namingArn));
  // Only the role's own ARN names it: another spelling must not slip past a Deny on that ARN.
  for (const spelling of [namingArn.toUpperCase().replace("ARN:AWS:IAM::", "arn:aws:iam::").replace(":ROLE/", ":role/"), namingArn.replace(":role/", ":role/team/")]) {
    await assertDenied(t, identityClient(server.url, named.token).assumeRole({ roleArn: spelling, roleSessionName: "s" }), `spelled ${spelling}`);
  }
  t.is((await failureOf(identityClient(server.url, named.token).assumeRole({ roleArn: namingArn.replace("arn:aws:", "arn:aws-cn:"), roleSessionName: "s" }))).exception, "ValidationException", "another partition");
  // And so does one in the trust policy, whatever IAM allows.
  const deniedUser = await newPrincipal("denied-by-trust", { assume: policyOf(allow("sts:AssumeRole")) });
  const denyingRole = uniq("denies-user");
  await iam().createRole({
    roleName: denyingRole,
    assumeRolePolicyDocument: JSON.stringify({ Version: VERSION, Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }, { Effect: "Deny", Principal: { AWS: deniedUser.arn }, Action: "sts:AssumeRole" }] }),
  });
  const denyingArn = `arn:aws:iam::${ACCOUNT}:role/${denyingRole}`;
  t.is(await assertDenied(t, identityClient(server.url, deniedUser.token).assumeRole({ roleArn: denyingArn, roleSessionName: "s" }), "trust deny"), refusal(deniedUser, denyingArn));

  // Across accounts, being named is not enough: the caller's own account must allow it too.
  const other = await secondAccount();
  const foreign = await newPrincipal("foreign", {}, other.iam, OTHER_ACCOUNT);
  const crossRole = uniq("names-foreign-user");
  const crossArn = `arn:aws:iam::${ACCOUNT}:role/${crossRole}`;
  await iam().createRole({ roleName: crossRole, assumeRolePolicyDocument: trustOnly(foreign.arn) });
  t.is(await assertDenied(t, identityClient(server.url, foreign.token).assumeRole({ roleArn: crossArn, roleSessionName: "cross" }), "cross-account, no IAM allow"), refusal(foreign, crossArn));
  await other.iam.putUserPolicy({ userName: foreign.userName, policyName: "assume", policyDocument: policyOf(allow("sts:AssumeRole", crossArn)) });
  t.is((await identityClient(server.url, foreign.token).assumeRole({ roleArn: crossArn, roleSessionName: "cross" })).assumedRoleUser!.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${crossRole}/cross`);
  // A role ARN that is not one is refused as invalid, before any policy is read.
  t.is((await failureOf(identityClient(server.url, foreign.token).assumeRole({ roleArn: "arn:aws:iam::111122223333:user/admin", roleSessionName: "cross" }))).exception, "ValidationException");
});

// Regression: AssumeRole of a role that did not exist was NotFoundException ("role ... does not
// exist"), while an existing role whose trust policy refuses the caller is AccessDeniedException,
// so anyone allowed sts:AssumeRole (the administrator of any account) can enumerate the role names
// of every other account. AWS STS answers both with AccessDenied ("User: ... is not authorized to
// perform: sts:AssumeRole on resource: <role ARN>").
test("AssumeRole of a missing role is indistinguishable from a refused one, across accounts", async (t) => {
  const { iam: other } = await secondAccount();
  const roleName = uniq("hidden");
  await iam().createRole({ roleName, assumeRolePolicyDocument: JSON.stringify({ Version: VERSION, Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] }) });
  const existing = await failureOf(other.assumeRole({ roleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, roleSessionName: "probe" }));
  const missing = await failureOf(other.assumeRole({ roleArn: `arn:aws:iam::${ACCOUNT}:role/${uniq("missing")}`, roleSessionName: "probe" }));
  t.is(existing.exception, "AccessDeniedException", existing.message);
  t.is(missing.exception, existing.exception, `a missing role answers ${missing.exception}: ${missing.message}`);
  t.is(missing.code, existing.code);
  t.is(missing.message.replace(/role\/missing-\w+/, "role/R"), existing.message.replace(roleName, "R"), "the same words too");
  // Nor does a trust policy that denies outsiders by name tell them the role exists.
  const guarded = uniq("denies-outsiders");
  await iam().createRole({
    roleName: guarded,
    assumeRolePolicyDocument: JSON.stringify({ Version: VERSION, Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }, { Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole", Condition: { StringNotEquals: { "aws:PrincipalAccount": ACCOUNT } } }] }),
  });
  const denied = await failureOf(other.assumeRole({ roleArn: `arn:aws:iam::${ACCOUNT}:role/${guarded}`, roleSessionName: "probe" }));
  t.is(denied.message.replace(guarded, "R"), existing.message.replace(roleName, "R"));
});

test("a condition on a parameter sees its default when the request leaves it out, as in AWS", async (t) => {
  const user = await newPrincipal("defaults", {
    p: policyOf(
      allow("kms:*"),
      deny("kms:EnableKeyRotation", "*", { Condition: { NumericGreaterThan: { "kms:RotationPeriodInDays": "180" } } }),
      deny("kms:ScheduleKeyDeletion", "*", { Condition: { NumericGreaterThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": "7" } } }),
      deny("kms:CreateKey", "*", { Condition: { Bool: { "kms:MultiRegion": "false" } } }),
    ),
  });
  const kms = connectAs(allClients[0]!, user);
  await assertDenied(t, kms.createKey({}), "CreateKey with multi_region left out (false)");
  const keyId = (await kms.createKey({ multiRegion: true })).keyMetadata!.keyId;
  await assertDenied(t, kms.enableKeyRotation({ keyId }), "EnableKeyRotation with the period left out (365)");
  await kms.enableKeyRotation({ keyId, rotationPeriodInDays: 90 });
  await assertDenied(t, kms.scheduleKeyDeletion({ keyId }), "ScheduleKeyDeletion with the window left out (30)");
  t.is((await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })).pendingWindowInDays, 7);
});

test("ReEncrypt: each key's policy sees the context bound to that key (the source's for kms:ReEncryptFrom, the destination's for kms:ReEncryptTo)", async (t) => {
  const admin = allClients[0]!.connect(server);
  const secretOnly = (action: string) => ({ Effect: "Deny", Principal: "*", Action: action, Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:dept": "secret" } } });
  const source = await newKey(admin, { policy: policyOf(rootStatement(), secretOnly("kms:ReEncryptFrom")) });
  const destination = await newKey(admin, { policy: policyOf(rootStatement(), secretOnly("kms:ReEncryptTo")) });
  const reEncrypt = async (from: Record<string, string>, to: Record<string, string>) =>
    admin.reEncrypt({ ciphertextBlob: (await admin.encrypt({ keyId: source.keyId, plaintext: bytes("r"), encryptionContext: from })).ciphertextBlob, sourceEncryptionContext: from, destinationKeyId: destination.keyId, destinationEncryptionContext: to });
  await assertDenied(t, reEncrypt({ dept: "secret" }, { dept: "public" }), "the source's Deny sees the source context, whatever the destination's says");
  await assertDenied(t, reEncrypt({ dept: "public" }, { dept: "secret" }), "the destination's Deny sees the destination context");
  t.truthy((await reEncrypt({ dept: "public" }, { dept: "public" })).ciphertextBlob.length);
});

test("a key or trust policy names the user or role it named when saved: one deleted and made again under the same name is not named, as in IAM", async (t) => {
  const kms = allClients[0]!;
  const admin = kms.connect(server);
  const userName = await newUserName("recreated");
  const key = await newKey(admin, { policy: policyOf(rootStatement(), grantTo(userArn(userName), ["kms:Encrypt", "kms:Decrypt"])) });
  await assertRoundTrip(t, connectAs(kms, await loginUser(userName)), key.keyId, "the user the policy named");
  const roleName = uniq("trusting");
  await iam().createRole({ roleName, assumeRolePolicyDocument: policyOf({ Effect: "Allow", Principal: { AWS: userArn(userName) }, Action: "sts:AssumeRole" }) });
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/${roleName}`;
  const assume = async (principal: Principal) => identityClient(server.url, principal.token).assumeRole({ roleArn, roleSessionName: "session" });
  t.truthy((await assume(await loginUser(userName))).credentials?.sessionToken, "the trust policy names the user too");

  await iam().deleteUser({ userName });
  await iam().createUser({ userName });
  const again = await loginUser(userName);
  await assertDenied(t, connectAs(kms, again).encrypt({ keyId: key.keyId, plaintext: bytes("x") }), "another user of the same name");
  await assertDenied(t, assume(again), "nor does the trust policy name it");
  await admin.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: policyOf(rootStatement(), grantTo(userArn(userName), ["kms:Encrypt", "kms:Decrypt"])) });
  await assertRoundTrip(t, connectAs(kms, again), key.keyId, "the policy saved again names the new user");

  const missing = policyOf(rootStatement(), grantTo(userArn(uniq("nobody")), "kms:Encrypt"));
  await assertFailure(t, admin.createKey({ policy: missing }), "MalformedPolicyDocumentException", Code.InvalidArgument, "a principal that does not exist, as AWS refuses it");
  const shouted = policyOf(rootStatement(), { Effect: "Deny", Principal: { AWS: userArn(userName.toUpperCase()) }, Action: "kms:Decrypt", Resource: "*" });
  await assertFailure(t, admin.putKeyPolicy({ keyId: key.keyId, policyName: "default", policy: shouted }), "MalformedPolicyDocumentException", Code.InvalidArgument, "another letter case of a user's ARN (a Deny on it would never apply)");
  await assertFailure(t, iam().createRole({ roleName: uniq("r"), assumeRolePolicyDocument: policyOf({ Effect: "Allow", Principal: { AWS: userArn(uniq("nobody")) }, Action: "sts:AssumeRole" }) }), "MalformedPolicyDocumentException", Code.InvalidArgument, "in a trust policy too");
});

test("NotPrincipal is refused where AWS does not support it: with Allow in a key policy, anywhere in a trust policy", async (t) => {
  const admin = allClients[0]!.connect(server);
  const allowAllBut = policyOf(rootStatement(), { Effect: "Allow", NotPrincipal: { AWS: ADMIN_ARN }, Action: "kms:Encrypt", Resource: "*" });
  await assertFailure(t, admin.createKey({ policy: allowAllBut }), "MalformedPolicyDocumentException", Code.InvalidArgument, "NotPrincipal with Allow");
  const denyAllBut = policyOf(rootStatement(), { Effect: "Deny", NotPrincipal: { AWS: [ADMIN_ARN, `arn:aws:iam::${ACCOUNT}:root`] }, Action: "kms:Encrypt", Resource: "*" });
  t.truthy((await admin.createKey({ policy: denyAllBut })).keyMetadata?.keyId, "NotPrincipal with Deny is fine");
  const trust = policyOf({ Effect: "Deny", NotPrincipal: { AWS: ADMIN_ARN }, Action: "sts:AssumeRole" }, { Effect: "Allow", Principal: { AWS: ADMIN_ARN }, Action: "sts:AssumeRole" });
  await assertFailure(t, iam().createRole({ roleName: uniq("np"), assumeRolePolicyDocument: trust }), "MalformedPolicyDocumentException", Code.InvalidArgument, "NotPrincipal in a trust policy");
});
