import test from "ava";
import { GrantOperation, KeySpec, KeyUsage, OriginType } from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, failureOf, type KmsClient } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const bytes = (s: string) => new TextEncoder().encode(s);
let userCount = 0;

/**
 * A new user, logged in, with only the identity policies given (none by default): only grants
 * (or key policies naming it) can let it do anything else. In another account with that account's administrator's token.
 */
async function newUser(policies: Record<string, string> = {}, adminToken = server.token): Promise<{ arn: string; kms: (kind?: typeof connectGrpc) => KmsClient }> {
  const iam = identityClient(server.url, adminToken);
  const userName = `grantee-${++userCount}`;
  const { user } = await iam.createUser({ userName });
  for (const [policyName, policyDocument] of Object.entries(policies)) await iam.putUserPolicy({ userName, policyName, policyDocument });
  const { accessKey } = await iam.createAccessKey({ userName });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  return { arn: user!.arn, kms: (kind = connectGrpc) => kind.connect({ url: server.url, token }) };
}

for (const kind of allClients) {
  test(`${kind.name}: a grant lets its grantee use the key for its operations until it is retired`, async (t) => {
    const admin = kind.connect(server);
    const keyId = (await admin.createKey({})).keyMetadata!.keyId;
    const grantee = await newUser();
    const kms = grantee.kms(kind);
    t.is((await failureOf(kms.encrypt({ keyId, plaintext: bytes("x") }))).exception, "AccessDeniedException");

    const { grantId, grantToken } = await admin.createGrant({
      keyId,
      granteePrincipal: grantee.arn,
      retiringPrincipal: grantee.arn,
      operations: [GrantOperation.ENCRYPT, GrantOperation.DECRYPT],
    });
    t.regex(grantId, /^[0-9a-f]{64}$/);
    const enc = await kms.encrypt({ keyId, plaintext: bytes("granted"), grantTokens: [grantToken] });
    t.is(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob })).plaintext), "granted");
    t.is((await failureOf(kms.generateDataKey({ keyId, numberOfBytes: 16 }))).exception, "AccessDeniedException");
    t.is((await failureOf(kms.disableKey({ keyId }))).exception, "AccessDeniedException");

    const listed = await admin.listGrants({ keyId });
    t.deepEqual(listed.grants.map((g) => g.grantId), [grantId]);
    t.deepEqual(listed.grants[0]!.operations.sort(), [GrantOperation.DECRYPT, GrantOperation.ENCRYPT]);
    t.is(listed.grants[0]!.granteePrincipal, grantee.arn);
    t.deepEqual((await admin.listRetirableGrants({ retiringPrincipal: grantee.arn })).grants.map((g) => g.grantId), [grantId]);

    await kms.retireGrant({ grantToken });
    t.is((await failureOf(kms.encrypt({ keyId, plaintext: bytes("x") }))).exception, "AccessDeniedException");
    t.deepEqual((await admin.listGrants({ keyId })).grants, []);
  });
}

test("encryption context constraints: Equals needs the exact context, Subset needs the pairs", async (t) => {
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;
  const equalsUser = await newUser();
  const subsetUser = await newUser();
  await admin.createGrant({ keyId, granteePrincipal: equalsUser.arn, operations: [GrantOperation.ENCRYPT], constraints: { encryptionContextEquals: { app: "billing" } } });
  await admin.createGrant({ keyId, granteePrincipal: subsetUser.arn, operations: [GrantOperation.ENCRYPT], constraints: { encryptionContextSubset: { app: "billing" } } });
  const plaintext = bytes("p");
  await t.notThrowsAsync(equalsUser.kms().encrypt({ keyId, plaintext, encryptionContext: { app: "billing" } }));
  t.is((await failureOf(equalsUser.kms().encrypt({ keyId, plaintext, encryptionContext: { app: "billing", extra: "1" } }))).exception, "AccessDeniedException");
  t.is((await failureOf(equalsUser.kms().encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");
  await t.notThrowsAsync(subsetUser.kms().encrypt({ keyId, plaintext, encryptionContext: { app: "billing", extra: "1" } }));
  t.is((await failureOf(subsetUser.kms().encrypt({ keyId, plaintext, encryptionContext: { app: "other" } }))).exception, "AccessDeniedException");
  t.is((await failureOf(admin.createGrant({ keyId, granteePrincipal: subsetUser.arn, operations: [GrantOperation.ENCRYPT], constraints: { encryptionContextSubset: { a: "1" }, encryptionContextEquals: { a: "1" } } }))).exception, "ValidationException");
});

test("RevokeGrant ends a grant at once; unknown and malformed grant ids are refused", async (t) => {
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;
  const grantee = await newUser();
  const { grantId } = await admin.createGrant({ keyId, granteePrincipal: grantee.arn, operations: [GrantOperation.GENERATE_DATA_KEY] });
  await t.notThrowsAsync(grantee.kms().generateDataKey({ keyId, numberOfBytes: 32 }));
  t.is((await failureOf(grantee.kms().revokeGrant({ keyId, grantId }))).exception, "AccessDeniedException");
  await admin.revokeGrant({ keyId, grantId });
  t.is((await failureOf(grantee.kms().generateDataKey({ keyId, numberOfBytes: 32 }))).exception, "AccessDeniedException");
  t.is((await failureOf(admin.revokeGrant({ keyId, grantId }))).exception, "NotFoundException");
  t.is((await failureOf(admin.revokeGrant({ keyId, grantId: "not-a-grant" }))).exception, "InvalidGrantIdException");
});

test("the same name and parameters return the same grant; a grantee cannot retire a grant that does not let it", async (t) => {
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;
  const grantee = await newUser();
  const request = { keyId, granteePrincipal: grantee.arn, operations: [GrantOperation.DECRYPT], name: "nightly-batch" };
  const first = await admin.createGrant(request);
  const again = await admin.createGrant(request);
  t.is(again.grantId, first.grantId);
  t.not(again.grantToken, first.grantToken, "every CreateGrant's token is unique, as in AWS");
  t.is((await admin.listGrants({ keyId })).grants.length, 1);
  t.is((await failureOf(grantee.kms().retireGrant({ grantToken: first.grantToken }))).exception, "AccessDeniedException");
  await admin.retireGrant({ keyId, grantId: first.grantId });
  t.is((await admin.listGrants({ keyId })).grants.length, 0);
});

test("a grantee with CreateGrant can pass on no more than its own grant allows", async (t) => {
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;
  const middle = await newUser();
  const last = await newUser();
  await admin.createGrant({ keyId, granteePrincipal: middle.arn, operations: [GrantOperation.CREATE_GRANT, GrantOperation.ENCRYPT] });
  const widened = await failureOf(middle.kms().createGrant({ keyId, granteePrincipal: last.arn, operations: [GrantOperation.DECRYPT] }));
  t.is(widened.exception, "AccessDeniedException");
  await middle.kms().createGrant({ keyId, granteePrincipal: last.arn, operations: [GrantOperation.ENCRYPT] });
  await t.notThrowsAsync(last.kms().encrypt({ keyId, plaintext: bytes("passed on") }));
  t.is((await failureOf(last.kms().decrypt({ ciphertextBlob: (await admin.encrypt({ keyId, plaintext: bytes("x") })).ciphertextBlob }))).exception, "AccessDeniedException");
});

test("malformed grant tokens and grants are refused with their exceptions", async (t) => {
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;
  t.is((await failureOf(admin.encrypt({ keyId, plaintext: bytes("x"), grantTokens: ["not-a-token!"] }))).exception, "InvalidGrantTokenException");
  t.is((await failureOf(admin.retireGrant({ grantToken: "bm90LWEtdG9rZW4" }))).exception, "InvalidGrantTokenException");
  t.is((await failureOf(admin.createGrant({ keyId, granteePrincipal: "bob", operations: [GrantOperation.ENCRYPT] }))).exception, "ValidationException");
  t.is((await failureOf(admin.createGrant({ keyId, granteePrincipal: server.admin.principal_arn, operations: [] }))).exception, "ValidationException");
  t.is((await failureOf(admin.createGrant({ keyId, granteePrincipal: server.admin.principal_arn, operations: [GrantOperation.SIGN] }))).exception, "ValidationException");
});

test("a grant may allow only operations its key supports, and context constraints only on symmetric keys", async (t) => {
  const admin = connectGrpc.connect(server);
  const grantee = await newUser();
  const symmetric = (await admin.createKey({})).keyMetadata!.keyId;
  const signing = (await admin.createKey({ keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsage.SIGN_VERIFY })).keyMetadata!.keyId;
  const hmac = (await admin.createKey({ keySpec: KeySpec.HMAC_256, keyUsage: KeyUsage.GENERATE_VERIFY_MAC })).keyMetadata!.keyId;
  const grant = (keyId: string, operations: GrantOperation[], constraints?: { encryptionContextEquals: Record<string, string> }) =>
    admin.createGrant({ keyId, granteePrincipal: grantee.arn, operations, ...(constraints ? { constraints } : {}) });
  for (const [keyId, operations] of [
    [symmetric, [GrantOperation.SIGN]],
    [symmetric, [GrantOperation.GET_PUBLIC_KEY]],
    [signing, [GrantOperation.ENCRYPT]],
    [signing, [GrantOperation.GENERATE_MAC]],
    [hmac, [GrantOperation.SIGN]],
  ] as const) {
    t.is((await failureOf(grant(keyId, [...operations]))).exception, "ValidationException", `${GrantOperation[operations[0]]} on ${keyId}`);
  }
  t.is((await failureOf(grant(signing, [GrantOperation.SIGN], { encryptionContextEquals: { a: "b" } }))).exception, "ValidationException");
  t.regex((await grant(signing, [GrantOperation.SIGN, GrantOperation.VERIFY, GrantOperation.GET_PUBLIC_KEY, GrantOperation.DESCRIBE_KEY])).grantId, /^[0-9a-f]{64}$/);
  t.regex((await grant(hmac, [GrantOperation.GENERATE_MAC, GrantOperation.VERIFY_MAC])).grantId, /^[0-9a-f]{64}$/);
  t.deepEqual((await admin.listGrants({ keyId: symmetric })).grants, []);
});

const policy = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

test("constraints apply to operations that take an encryption context (ReEncryptTo: the destination's), keys in any case; a constrained grant passes on constraints at least as strict", async (t) => {
  const admin = connectGrpc.connect(server);
  const source = (await admin.createKey({})).keyMetadata!.keyId;
  const destination = (await admin.createKey({})).keyMetadata!.keyId;
  const grantee = await newUser();
  await admin.createGrant({ keyId: source, granteePrincipal: grantee.arn, operations: [GrantOperation.RE_ENCRYPT_FROM] });
  await admin.createGrant({
    keyId: destination,
    granteePrincipal: grantee.arn,
    operations: [GrantOperation.RE_ENCRYPT_TO, GrantOperation.DESCRIBE_KEY, GrantOperation.CREATE_GRANT, GrantOperation.DECRYPT],
    constraints: { encryptionContextSubset: { tenant: "acme" } },
  });
  const kms = grantee.kms();
  const reEncrypt = async (sourceEncryptionContext: Record<string, string>, destinationEncryptionContext: Record<string, string>) =>
    kms.reEncrypt({ ciphertextBlob: (await admin.encrypt({ keyId: source, plaintext: bytes("r"), encryptionContext: sourceEncryptionContext })).ciphertextBlob, sourceEncryptionContext, destinationKeyId: destination, destinationEncryptionContext });
  t.is((await failureOf(reEncrypt({ tenant: "acme" }, {}))).exception, "AccessDeniedException", "the source context does not satisfy the destination's grant");
  const moved = await reEncrypt({}, { Tenant: "acme" });
  t.is(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: moved.ciphertextBlob, encryptionContext: { Tenant: "acme" } })).plaintext), "r", "a constraint's keys are not case sensitive");
  t.is((await failureOf(kms.decrypt({ ciphertextBlob: (await admin.encrypt({ keyId: destination, plaintext: bytes("r"), encryptionContext: { tenant: "ACME" } })).ciphertextBlob, encryptionContext: { tenant: "ACME" } }))).exception, "AccessDeniedException", "its values are");
  t.is((await kms.describeKey({ keyId: destination })).keyMetadata!.keyId, destination, "DescribeKey takes no encryption context: the constraint does not apply");
  const passOn = (constraints?: { encryptionContextSubset?: Record<string, string>; encryptionContextEquals?: Record<string, string> }) =>
    kms.createGrant({ keyId: destination, granteePrincipal: server.admin.principal_arn, operations: [GrantOperation.DECRYPT], ...(constraints ? { constraints } : {}) });
  await t.notThrowsAsync(passOn({ encryptionContextSubset: { tenant: "acme" } }));
  await t.notThrowsAsync(passOn({ encryptionContextSubset: { tenant: "acme", team: "billing" } }));
  await t.notThrowsAsync(passOn({ encryptionContextEquals: { tenant: "acme" } }));
  t.is((await failureOf(passOn())).exception, "AccessDeniedException", "no constraint is looser");
  t.is((await failureOf(passOn({ encryptionContextSubset: { team: "billing" } }))).exception, "AccessDeniedException");
});

test("RetireGrant is decided as AWS decides it: by the grant, an IAM Deny, and IAM of the accounts that may delegate it; never the key policy", async (t) => {
  const admin = connectGrpc.connect(server);
  const grantee = await newUser();
  const denied = await newUser({ deny: policy({ Effect: "Deny", Action: "kms:RetireGrant", Resource: "*" }) });
  const keyPolicyOnly = await newUser();
  const keyId = (await admin.createKey({
    policy: policy(
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${server.admin.account_id}:root` }, Action: "kms:*", Resource: "*" },
      { Effect: "Allow", Principal: { AWS: keyPolicyOnly.arn }, Action: "kms:RetireGrant", Resource: "*" },
    ),
  })).keyMetadata!.keyId;
  const { grantToken, grantId } = await admin.createGrant({ keyId, granteePrincipal: grantee.arn, retiringPrincipal: denied.arn, operations: [GrantOperation.ENCRYPT] });
  t.is((await failureOf(denied.kms().retireGrant({ grantToken }))).exception, "AccessDeniedException", "an IAM Deny stops even the retiring principal");
  t.is((await failureOf(keyPolicyOnly.kms().retireGrant({ keyId, grantId }))).exception, "AccessDeniedException", "kms:RetireGrant is not effective in a key policy");
  t.is((await admin.listGrants({ keyId })).grants.length, 1, "nothing was retired");

  // Another account: its administrator retires the grant it created on this account's key.
  const otherAccount = "444455556666";
  const created = await identityClient(server.url, server.token).createAccount({ accountId: otherAccount });
  const otherToken = await login(server.url, created.adminAccessKey!.accessKeyId, created.adminAccessKey!.secretAccessKey);
  const other = connectGrpc.connect({ url: server.url, token: otherToken });
  const shared = (await admin.createKey({
    policy: policy(
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${server.admin.account_id}:root` }, Action: "kms:*", Resource: "*" },
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${otherAccount}:root` }, Action: ["kms:CreateGrant", "kms:DescribeKey"], Resource: "*" },
    ),
  })).keyMetadata!;
  const theirUser = await newUser({}, otherToken);
  const theirs = await other.createGrant({ keyId: shared.arn, granteePrincipal: theirUser.arn, retiringPrincipal: theirUser.arn, operations: [GrantOperation.DESCRIBE_KEY] });
  await other.retireGrant({ keyId: shared.arn, grantId: theirs.grantId });
  t.deepEqual((await admin.listGrants({ keyId: shared.keyId })).grants, []);

  // ListRetirableGrants takes a principal of the caller's own account only.
  await other.createGrant({ keyId: shared.arn, granteePrincipal: theirUser.arn, retiringPrincipal: theirUser.arn, operations: [GrantOperation.DESCRIBE_KEY] });
  t.is((await failureOf(admin.listRetirableGrants({ retiringPrincipal: theirUser.arn }))).exception, "AccessDeniedException");
  t.is((await other.listRetirableGrants({ retiringPrincipal: theirUser.arn })).grants.length, 1, "its own account lists it, on any account's key");
});

test("CreateGrant's condition keys: kms:GrantConstraintType and the constraint's encryption context; kms:GrantIsForAWSResource only on grant management", async (t) => {
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;
  const grantee = await newUser();
  const granter = await newUser({
    p: policy({ Effect: "Allow", Action: "kms:CreateGrant", Resource: "*", Condition: { StringEquals: { "kms:GrantConstraintType": "EncryptionContextSubset" }, "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["tenant"] } } }),
  });
  const grant = (constraints?: { encryptionContextSubset?: Record<string, string>; encryptionContextEquals?: Record<string, string> }) =>
    granter.kms().createGrant({ keyId, granteePrincipal: grantee.arn, operations: [GrantOperation.DECRYPT], ...(constraints ? { constraints } : {}) });
  await t.notThrowsAsync(grant({ encryptionContextSubset: { tenant: "acme" } }));
  t.is((await failureOf(grant())).exception, "AccessDeniedException", "no constraint");
  t.is((await failureOf(grant({ encryptionContextEquals: { tenant: "acme" } }))).exception, "AccessDeniedException", "another constraint type");
  t.is((await failureOf(grant({ encryptionContextSubset: { team: "x" } }))).exception, "AccessDeniedException", "other context keys");
  const user = await newUser({ p: policy({ Effect: "Allow", Action: "kms:Encrypt", Resource: "*", Condition: { Bool: { "kms:GrantIsForAWSResource": "false" } } }) });
  t.is((await failureOf(user.kms().encrypt({ keyId, plaintext: bytes("x") }))).exception, "AccessDeniedException", "the key is absent on Encrypt");
});

test("CreateGrant needs an Enabled key: DisabledException on a disabled one, KMSInvalidStateException pending import or deletion", async (t) => {
  const admin = connectGrpc.connect(server);
  const grantee = await newUser();
  const grant = (keyId: string) => admin.createGrant({ keyId, granteePrincipal: grantee.arn, operations: [GrantOperation.DESCRIBE_KEY] });
  const disabled = (await admin.createKey({})).keyMetadata!.keyId;
  await admin.disableKey({ keyId: disabled });
  t.is((await failureOf(grant(disabled))).exception, "DisabledException");
  const waiting = (await admin.createKey({ origin: OriginType.EXTERNAL })).keyMetadata!.keyId;
  t.is((await failureOf(grant(waiting))).exception, "KMSInvalidStateException");
  const doomed = (await admin.createKey({})).keyMetadata!.keyId;
  await admin.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 });
  t.is((await failureOf(grant(doomed))).exception, "KMSInvalidStateException");
  for (const keyId of [disabled, waiting, doomed]) t.deepEqual((await admin.listGrants({ keyId })).grants, [], "nothing was granted");
});
