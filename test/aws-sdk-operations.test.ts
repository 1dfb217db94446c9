import { createHash, createPublicKey, createPrivateKey, diffieHellman, generateKeyPairSync, constants as cryptoConstants, publicEncrypt, randomBytes, verify as nodeVerify } from "node:crypto";
import * as sdk from "@aws-sdk/client-kms";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import test, { type ExecutionContext } from "ava";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { identityClient, startTestServer, type TestServer } from "./support/server.js";

// Every operation of the contract through the official AWS SDK for JavaScript v3, against the
// server's AWS JSON 1.1 endpoint: what AWS KMS would answer, as the SDK surfaces it (Date for
// timestamps, Uint8Array for blobs, AWS enum strings, the SDK's exception classes).
//
// Every client made here records the operations that succeeded through it; the last test checks
// that they are exactly the contract's RPCs, so a new RPC fails this file until it is covered.
// The tests are serial so that the last one runs after all the others.

// The SDK warns once per process that its releases after January 2027 need Node 22; it only
// honours the exact value "true".
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

/** The operations (SDK command names without "Command") that succeeded through any client of this file. */
const succeeded = new Set<string>();

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The AWS SDK pointed at the test server, as the administrator unless told otherwise. */
function awsKms(region = "us-east-1", credentials?: Credentials): sdk.KMSClient {
  const client = new sdk.KMSClient({
    endpoint: server.url,
    region,
    credentials: credentials ?? { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      succeeded.add(String(context.commandName).replace(/Command$/, ""));
      return output;
    },
    { step: "initialize", name: "recordSucceededOperations" },
  );
  return client;
}

let userCount = 0;
/** A new IAM user of the administrator's account with an access key, and an identity policy allowing kms:*. */
async function newUser(): Promise<{ arn: string; credentials: Credentials }> {
  const iam = identityClient(server.url, server.token);
  const userName = `aws-sdk-ops-${++userCount}`;
  const { user } = await iam.createUser({ userName });
  await iam.putUserPolicy({ userName, policyName: "kms", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }) });
  const { accessKey } = await iam.createAccessKey({ userName });
  return { arn: user!.arn, credentials: { accessKeyId: accessKey!.accessKeyId, secretAccessKey: accessKey!.secretAccessKey } };
}

const text = (s: string) => new TextEncoder().encode(s);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_ARN = /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/;

/** Asserts a blob as the SDK hands it back: a non-empty Uint8Array (of `length` bytes when given). */
function isBlob(t: ExecutionContext, value: unknown, length?: number, what = "blob"): asserts value is Uint8Array {
  t.true(value instanceof Uint8Array, `${what} is a Uint8Array`);
  const blob = value as Uint8Array;
  if (length === undefined) t.true(blob.length > 0, `${what} is not empty`);
  else t.is(blob.length, length, `${what} has ${length} bytes`);
}

/** Asserts a timestamp as the SDK hands it back: a valid Date within a day of now. */
function isRecentDate(t: ExecutionContext, value: unknown, what = "timestamp"): void {
  t.true(value instanceof Date, `${what} is a Date`);
  t.true(Math.abs((value as Date).getTime() - Date.now()) < 86_400_000, `${what} (${String(value)}) is around now`);
}

async function createKey(kms: sdk.KMSClient, input: sdk.CreateKeyCommandInput = {}): Promise<sdk.KeyMetadata> {
  const created = await kms.send(new sdk.CreateKeyCommand(input));
  return created.KeyMetadata!;
}

test.serial("symmetric key: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, Disable/EnableKey, Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom, GetKeyLastUsage", async (t) => {
  const kms = awsKms();
  const meta = await createKey(kms, { Description: "symmetric", Tags: [{ TagKey: "team", TagValue: "crypto" }] });
  t.regex(meta.KeyId!, UUID);
  t.regex(meta.Arn!, KEY_ARN);
  t.is(meta.AWSAccountId, "111122223333");
  t.is(meta.KeySpec, "SYMMETRIC_DEFAULT");
  t.is(meta.CustomerMasterKeySpec, "SYMMETRIC_DEFAULT");
  t.is(meta.KeyUsage, "ENCRYPT_DECRYPT");
  t.is(meta.KeyState, "Enabled");
  t.is(meta.Origin, "AWS_KMS");
  t.is(meta.KeyManager, "CUSTOMER");
  t.true(meta.Enabled);
  t.false(meta.MultiRegion);
  t.deepEqual(meta.EncryptionAlgorithms, ["SYMMETRIC_DEFAULT"]);
  t.is(meta.SigningAlgorithms, undefined);
  isRecentDate(t, meta.CreationDate, "CreationDate");
  const keyId = meta.KeyId!;

  const described = (await kms.send(new sdk.DescribeKeyCommand({ KeyId: meta.Arn }))).KeyMetadata!;
  t.is(described.KeyId, keyId);
  t.is(described.Description, "symmetric");
  t.deepEqual(described.CreationDate, meta.CreationDate);

  const listed = await kms.send(new sdk.ListKeysCommand({ Limit: 1000 }));
  t.false(listed.Truncated);
  t.true(listed.Keys!.some((k) => k.KeyId === keyId && k.KeyArn === meta.Arn));

  await kms.send(new sdk.UpdateKeyDescriptionCommand({ KeyId: keyId, Description: "renamed" }));
  t.is((await kms.send(new sdk.DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.Description, "renamed");

  await kms.send(new sdk.DisableKeyCommand({ KeyId: keyId }));
  const disabled = (await kms.send(new sdk.DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
  t.is(disabled.KeyState, "Disabled");
  t.false(disabled.Enabled);
  const refused = await t.throwsAsync(kms.send(new sdk.EncryptCommand({ KeyId: keyId, Plaintext: text("x") })));
  t.true(refused instanceof sdk.DisabledException, refused?.name);
  await kms.send(new sdk.EnableKeyCommand({ KeyId: keyId }));
  t.is((await kms.send(new sdk.DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState, "Enabled");

  const context = { purpose: "aws-sdk-operations" };
  const encrypted = await kms.send(new sdk.EncryptCommand({ KeyId: keyId, Plaintext: text("secret"), EncryptionContext: context }));
  t.is(encrypted.KeyId, meta.Arn);
  t.is(encrypted.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");
  isBlob(t, encrypted.CiphertextBlob, undefined, "CiphertextBlob");
  const decrypted = await kms.send(new sdk.DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }));
  t.deepEqual(decrypted.Plaintext, text("secret"));
  t.is(decrypted.KeyId, meta.Arn);
  t.is(decrypted.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");

  const tampered = Uint8Array.from(encrypted.CiphertextBlob!);
  tampered[tampered.length - 1]! ^= 1;
  const bad = await t.throwsAsync(kms.send(new sdk.DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })));
  t.true(bad instanceof sdk.InvalidCiphertextException, bad?.name);

  const other = await createKey(kms, { Description: "re-encryption target" });
  const reEncrypted = await kms.send(new sdk.ReEncryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: other.KeyId, DestinationEncryptionContext: { moved: "yes" } }));
  t.is(reEncrypted.SourceKeyId, meta.Arn);
  t.is(reEncrypted.KeyId, other.Arn);
  t.is(reEncrypted.SourceEncryptionAlgorithm, "SYMMETRIC_DEFAULT");
  t.is(reEncrypted.DestinationEncryptionAlgorithm, "SYMMETRIC_DEFAULT");
  isBlob(t, reEncrypted.CiphertextBlob);
  const moved = await kms.send(new sdk.DecryptCommand({ CiphertextBlob: reEncrypted.CiphertextBlob, EncryptionContext: { moved: "yes" } }));
  t.deepEqual(moved.Plaintext, text("secret"));
  t.is(moved.KeyId, other.Arn);

  const dataKey = await kms.send(new sdk.GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: context }));
  isBlob(t, dataKey.Plaintext, 32, "data key");
  isBlob(t, dataKey.CiphertextBlob, undefined, "wrapped data key");
  t.is(dataKey.KeyId, meta.Arn);
  t.deepEqual((await kms.send(new sdk.DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context }))).Plaintext, dataKey.Plaintext);

  const wrappedOnly = await kms.send(new sdk.GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 64 }));
  t.false("Plaintext" in wrappedOnly && wrappedOnly.Plaintext !== undefined);
  isBlob(t, wrappedOnly.CiphertextBlob);
  t.is(wrappedOnly.KeyId, meta.Arn);
  isBlob(t, (await kms.send(new sdk.DecryptCommand({ CiphertextBlob: wrappedOnly.CiphertextBlob }))).Plaintext, 64, "unwrapped data key");

  const random = await kms.send(new sdk.GenerateRandomCommand({ NumberOfBytes: 32 }));
  isBlob(t, random.Plaintext, 32, "random bytes");
  t.notDeepEqual(random.Plaintext, (await kms.send(new sdk.GenerateRandomCommand({ NumberOfBytes: 32 }))).Plaintext);

  const usage = await kms.send(new sdk.GetKeyLastUsageCommand({ KeyId: keyId }));
  t.is(usage.KeyId, meta.Arn);
  t.true(sdk.KeyLastUsageTrackingOperation !== undefined);
  t.true(Object.values(sdk.KeyLastUsageTrackingOperation).includes(usage.KeyLastUsage!.Operation!), String(usage.KeyLastUsage?.Operation));
  t.is(usage.KeyLastUsage!.Operation, "Decrypt", "the last successful cryptographic use was the Decrypt of the data key");
  isRecentDate(t, usage.KeyLastUsage!.Timestamp, "KeyLastUsage.Timestamp");
  t.true(typeof usage.KeyLastUsage!.KmsRequestId === "string" && usage.KeyLastUsage!.KmsRequestId.length > 0);
  t.deepEqual(usage.KeyCreationDate, meta.CreationDate);
  isRecentDate(t, usage.TrackingStartDate, "TrackingStartDate");
  const unused = await kms.send(new sdk.GetKeyLastUsageCommand({ KeyId: (await createKey(kms)).KeyId }));
  t.is(unused.KeyLastUsage?.Operation, undefined, "a key never used has no last use");
});

test.serial("aliases: CreateAlias, ListAliases, UpdateAlias, DeleteAlias; a duplicate alias is AlreadyExistsException", async (t) => {
  const kms = awsKms();
  const first = await createKey(kms);
  const second = await createKey(kms);
  await kms.send(new sdk.CreateAliasCommand({ AliasName: "alias/sdk-app", TargetKeyId: first.KeyId }));
  const duplicate = await t.throwsAsync(kms.send(new sdk.CreateAliasCommand({ AliasName: "alias/sdk-app", TargetKeyId: second.KeyId })));
  t.true(duplicate instanceof sdk.AlreadyExistsException, duplicate?.name);

  const byKey = await kms.send(new sdk.ListAliasesCommand({ KeyId: first.KeyId }));
  t.is(byKey.Aliases!.length, 1);
  const alias = byKey.Aliases![0]!;
  t.is(alias.AliasName, "alias/sdk-app");
  t.is(alias.AliasArn, "arn:aws:kms:us-east-1:111122223333:alias/sdk-app");
  t.is(alias.TargetKeyId, first.KeyId);
  isRecentDate(t, alias.CreationDate, "CreationDate");
  isRecentDate(t, alias.LastUpdatedDate, "LastUpdatedDate");
  t.false(byKey.Truncated);

  t.is((await kms.send(new sdk.EncryptCommand({ KeyId: "alias/sdk-app", Plaintext: text("x") }))).KeyId, first.Arn);
  await kms.send(new sdk.UpdateAliasCommand({ AliasName: "alias/sdk-app", TargetKeyId: second.KeyId }));
  t.is((await kms.send(new sdk.DescribeKeyCommand({ KeyId: "alias/sdk-app" }))).KeyMetadata!.KeyId, second.KeyId);
  t.is((await kms.send(new sdk.EncryptCommand({ KeyId: alias.AliasArn, Plaintext: text("x") }))).KeyId, second.Arn);

  await kms.send(new sdk.DeleteAliasCommand({ AliasName: "alias/sdk-app" }));
  const gone = await t.throwsAsync(kms.send(new sdk.DescribeKeyCommand({ KeyId: "alias/sdk-app" })));
  t.true(gone instanceof sdk.NotFoundException, gone?.name);
  t.deepEqual((await kms.send(new sdk.ListAliasesCommand({ KeyId: second.KeyId }))).Aliases, []);
});

test.serial("tags: TagResource, ListResourceTags, UntagResource", async (t) => {
  const kms = awsKms();
  const { KeyId } = await createKey(kms, { Tags: [{ TagKey: "env", TagValue: "test" }] });
  await kms.send(new sdk.TagResourceCommand({ KeyId, Tags: [{ TagKey: "owner", TagValue: "sdk" }, { TagKey: "env", TagValue: "prod" }] }));
  const tags = await kms.send(new sdk.ListResourceTagsCommand({ KeyId }));
  t.deepEqual(tags.Tags, [{ TagKey: "env", TagValue: "prod" }, { TagKey: "owner", TagValue: "sdk" }]);
  t.false(tags.Truncated);
  await kms.send(new sdk.UntagResourceCommand({ KeyId, TagKeys: ["env", "absent"] }));
  t.deepEqual((await kms.send(new sdk.ListResourceTagsCommand({ KeyId }))).Tags, [{ TagKey: "owner", TagValue: "sdk" }]);
  const reserved = await t.throwsAsync(kms.send(new sdk.TagResourceCommand({ KeyId, Tags: [{ TagKey: "aws:reserved", TagValue: "x" }] })));
  t.true(reserved instanceof sdk.TagException, reserved?.name);
});

test.serial("key policies: GetKeyPolicy, ListKeyPolicies, PutKeyPolicy", async (t) => {
  const kms = awsKms();
  const { KeyId } = await createKey(kms);
  t.deepEqual((await kms.send(new sdk.ListKeyPoliciesCommand({ KeyId }))).PolicyNames, ["default"]);
  const got = await kms.send(new sdk.GetKeyPolicyCommand({ KeyId, PolicyName: "default" }));
  t.is(got.PolicyName, "default");
  const policy = JSON.parse(got.Policy!) as { Statement: Array<{ Principal: { AWS: string }; Action: string }> };
  t.true(policy.Statement.some((s) => s.Principal.AWS === "arn:aws:iam::111122223333:root" && s.Action === "kms:*"));

  const replacement = {
    Version: "2012-10-17",
    Id: "sdk-policy",
    Statement: [
      { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" },
      { Sid: "NoDecryptHere", Effect: "Deny", Principal: { AWS: "arn:aws:iam::111122223333:user/admin" }, Action: "kms:Decrypt", Resource: "*" },
    ],
  };
  await kms.send(new sdk.PutKeyPolicyCommand({ KeyId, PolicyName: "default", Policy: JSON.stringify(replacement) }));
  const after = await kms.send(new sdk.GetKeyPolicyCommand({ KeyId })); // PolicyName defaults to "default"
  t.deepEqual(JSON.parse(after.Policy!), replacement);
  const malformed = await t.throwsAsync(kms.send(new sdk.PutKeyPolicyCommand({ KeyId, PolicyName: "default", Policy: "{not json" })));
  t.true(malformed instanceof sdk.MalformedPolicyDocumentException, malformed?.name);
  const nobody = { ...replacement, Statement: [replacement.Statement[0], { ...replacement.Statement[1], Principal: { AWS: "arn:aws:iam::111122223333:user/nobody" } }] };
  const unknown = await t.throwsAsync(kms.send(new sdk.PutKeyPolicyCommand({ KeyId, PolicyName: "default", Policy: JSON.stringify(nobody) })));
  t.true(unknown instanceof sdk.MalformedPolicyDocumentException, "a principal that does not exist, as AWS refuses it");
});

test.serial("grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant (by the retiring principal), RevokeGrant", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms);
  const grantee = await newUser();
  const created = await kms.send(new sdk.CreateGrantCommand({
    KeyId: key.KeyId,
    GranteePrincipal: grantee.arn,
    RetiringPrincipal: grantee.arn,
    Operations: ["Encrypt", "Decrypt"],
    Constraints: { EncryptionContextSubset: { app: "grants" } },
    Name: "sdk-grant",
  }));
  t.true(typeof created.GrantId === "string" && created.GrantId.length > 0);
  t.true(typeof created.GrantToken === "string" && created.GrantToken.length > 0);

  const listed = await kms.send(new sdk.ListGrantsCommand({ KeyId: key.KeyId }));
  t.is(listed.Grants!.length, 1);
  const grant = listed.Grants![0]!;
  t.is(grant.GrantId, created.GrantId);
  t.true(grant.KeyId === key.Arn || grant.KeyId === key.KeyId, grant.KeyId); // its form: see "identifiers in responses" below
  t.regex(grant.IssuingAccount ?? "", /111122223333/);
  t.is(grant.Name, "sdk-grant");
  t.is(grant.GranteePrincipal, grantee.arn);
  t.is(grant.RetiringPrincipal, grantee.arn);
  t.deepEqual([...grant.Operations!].sort(), ["Decrypt", "Encrypt"]);
  t.deepEqual(grant.Constraints, { EncryptionContextSubset: { app: "grants" } });
  isRecentDate(t, grant.CreationDate, "CreationDate");
  t.false(listed.Truncated);

  const retirable = await kms.send(new sdk.ListRetirableGrantsCommand({ RetiringPrincipal: grantee.arn }));
  t.deepEqual(retirable.Grants!.map((g) => g.GrantId), [created.GrantId]);

  // The grantee (whose identity policy allows kms:*, but the key policy trusts only the account) uses the grant.
  const asGrantee = awsKms("us-east-1", grantee.credentials);
  const enc = await asGrantee.send(new sdk.EncryptCommand({ KeyId: key.Arn, Plaintext: text("granted"), EncryptionContext: { app: "grants" }, GrantTokens: [created.GrantToken!] }));
  t.deepEqual((await asGrantee.send(new sdk.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { app: "grants" } }))).Plaintext, text("granted"));
  await asGrantee.send(new sdk.RetireGrantCommand({ GrantToken: created.GrantToken }));
  t.deepEqual((await kms.send(new sdk.ListGrantsCommand({ KeyId: key.KeyId }))).Grants, []);

  const another = await kms.send(new sdk.CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee.arn, Operations: ["GenerateDataKey"] }));
  await kms.send(new sdk.RevokeGrantCommand({ KeyId: key.KeyId, GrantId: another.GrantId }));
  t.deepEqual((await kms.send(new sdk.ListGrantsCommand({ KeyId: key.KeyId }))).Grants, []);
  const unknown = await t.throwsAsync(kms.send(new sdk.RevokeGrantCommand({ KeyId: key.KeyId, GrantId: another.GrantId })));
  t.true(unknown instanceof sdk.NotFoundException || unknown instanceof sdk.InvalidGrantIdException, unknown?.name);
});

test.serial("rotation: EnableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations, DisableKeyRotation", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms);
  const before = await kms.send(new sdk.GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
  t.false(before.KeyRotationEnabled);
  await kms.send(new sdk.EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 180 }));
  const status = await kms.send(new sdk.GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
  t.true(status.KeyRotationEnabled);
  t.is(status.RotationPeriodInDays, 180);
  t.true(status.KeyId === key.KeyId || status.KeyId === key.Arn, status.KeyId);
  t.true(status.NextRotationDate instanceof Date);
  t.true(Math.abs(status.NextRotationDate!.getTime() - (Date.now() + 180 * 86_400_000)) < 86_400_000, "the next rotation is 180 days away");

  const old = await kms.send(new sdk.EncryptCommand({ KeyId: key.KeyId, Plaintext: text("before rotation") }));
  const rotated = await kms.send(new sdk.RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
  t.true(rotated.KeyId === key.KeyId || rotated.KeyId === key.Arn, rotated.KeyId); // its form: see "identifiers in responses" below
  const rotations = await kms.send(new sdk.ListKeyRotationsCommand({ KeyId: key.KeyId }));
  t.is(rotations.Rotations!.length, 1);
  t.true([key.KeyId, key.Arn].includes(rotations.Rotations![0]!.KeyId), rotations.Rotations![0]!.KeyId); // its form: see "identifiers in responses" below
  t.is(rotations.Rotations![0]!.RotationType, "ON_DEMAND");
  isRecentDate(t, rotations.Rotations![0]!.RotationDate, "RotationDate");
  t.false(rotations.Truncated);
  t.deepEqual((await kms.send(new sdk.DecryptCommand({ CiphertextBlob: old.CiphertextBlob }))).Plaintext, text("before rotation"), "older material still decrypts");

  await kms.send(new sdk.DisableKeyRotationCommand({ KeyId: key.KeyId }));
  t.false((await kms.send(new sdk.GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled);

  const hmac = await createKey(kms, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
  const unsupported = await t.throwsAsync(kms.send(new sdk.EnableKeyRotationCommand({ KeyId: hmac.KeyId })));
  t.true(unsupported instanceof sdk.UnsupportedOperationException, unsupported?.name);
});

test.serial("import: CreateKey (Origin EXTERNAL), GetParametersForImport, ImportKeyMaterial (OAEP-SHA256 with node's publicEncrypt), DeleteImportedKeyMaterial", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms, { Origin: "EXTERNAL", Description: "bring your own key" });
  t.is(key.Origin, "EXTERNAL");
  t.is(key.KeyState, "PendingImport");
  t.false(key.Enabled);

  const params = await kms.send(new sdk.GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }));
  t.is(params.KeyId, key.Arn);
  isBlob(t, params.PublicKey, undefined, "PublicKey");
  isBlob(t, params.ImportToken, undefined, "ImportToken");
  t.true(params.ParametersValidTo instanceof Date);
  t.true(params.ParametersValidTo!.getTime() > Date.now() + 23 * 3_600_000, "valid for 24 hours");
  const wrappingKey = createPublicKey({ key: Buffer.from(params.PublicKey!), format: "der", type: "spki" });
  t.is(wrappingKey.asymmetricKeyType, "rsa");
  t.is(wrappingKey.asymmetricKeyDetails?.modulusLength, 2048);

  const material = randomBytes(32);
  const wrapped = publicEncrypt({ key: wrappingKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, material);
  await kms.send(new sdk.ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" }));
  const imported = (await kms.send(new sdk.DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
  t.is(imported.KeyState, "Enabled");
  t.is(imported.ExpirationModel, "KEY_MATERIAL_DOES_NOT_EXPIRE");
  const enc = await kms.send(new sdk.EncryptCommand({ KeyId: key.KeyId, Plaintext: text("imported") }));
  t.deepEqual((await kms.send(new sdk.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext, text("imported"));

  // New material for an on-demand rotation, as the SDK sends it.
  const next = await kms.send(new sdk.GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }));
  const nextKey = createPublicKey({ key: Buffer.from(next.PublicKey!), format: "der", type: "spki" });
  const newMaterial = publicEncrypt({ key: nextKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, randomBytes(32));
  const pending = await kms.send(
    new sdk.ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: next.ImportToken, EncryptedKeyMaterial: newMaterial, ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE", ImportType: "NEW_KEY_MATERIAL", KeyMaterialDescription: "rotation 1" }),
  );
  const listed = (await kms.send(new sdk.ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }))).Rotations!;
  t.deepEqual(listed.map((r) => [r.KeyMaterialState, r.ImportState]), [["CURRENT", "IMPORTED"], ["PENDING_ROTATION", "IMPORTED"]]);
  t.is(listed[1]!.KeyMaterialId, pending.KeyMaterialId);
  t.is(listed[1]!.KeyMaterialDescription, "rotation 1");
  await kms.send(new sdk.RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
  t.is((await kms.send(new sdk.DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.CurrentKeyMaterialId, pending.KeyMaterialId);
  t.deepEqual((await kms.send(new sdk.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext, text("imported"), "the first material still decrypts");

  await kms.send(new sdk.DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
  t.is((await kms.send(new sdk.DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.KeyState, "PendingImport");
  const noMaterial = await t.throwsAsync(kms.send(new sdk.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })));
  t.true(noMaterial instanceof sdk.KMSInvalidStateException, noMaterial?.name);
});

test.serial("multi-Region: CreateKey (MultiRegion), ReplicateKey to eu-west-1, UpdatePrimaryRegion; a ciphertext decrypts in either region", async (t) => {
  const east = awsKms("us-east-1");
  const west = awsKms("eu-west-1");
  const primary = await createKey(east, { MultiRegion: true, Description: "multi-Region" });
  t.regex(primary.KeyId!, /^mrk-[0-9a-f]{32}$/);
  t.true(primary.MultiRegion);
  t.is(primary.MultiRegionConfiguration!.MultiRegionKeyType, "PRIMARY");
  t.is(primary.MultiRegionConfiguration!.PrimaryKey!.Region, "us-east-1");
  t.deepEqual(primary.MultiRegionConfiguration!.ReplicaKeys, []);

  const replicated = await east.send(new sdk.ReplicateKeyCommand({ KeyId: primary.KeyId, ReplicaRegion: "eu-west-1", Description: "replica" }));
  const replica = replicated.ReplicaKeyMetadata!;
  t.is(replica.KeyId, primary.KeyId);
  t.is(replica.Arn, primary.Arn!.replace(":us-east-1:", ":eu-west-1:"));
  t.is(replica.MultiRegionConfiguration!.MultiRegionKeyType, "REPLICA");
  t.is(replica.Description, "replica");
  t.is(typeof replicated.ReplicaPolicy, "string");
  t.notThrows(() => JSON.parse(replicated.ReplicaPolicy!));
  t.deepEqual(replicated.ReplicaTags, []);
  const described = (await east.send(new sdk.DescribeKeyCommand({ KeyId: primary.KeyId }))).KeyMetadata!;
  t.deepEqual(described.MultiRegionConfiguration!.ReplicaKeys, [{ Arn: replica.Arn, Region: "eu-west-1" }]);

  const enc = await east.send(new sdk.EncryptCommand({ KeyId: primary.KeyId, Plaintext: text("everywhere") }));
  const dec = await west.send(new sdk.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
  t.deepEqual(dec.Plaintext, text("everywhere"));
  t.is(dec.KeyId, replica.Arn);

  await east.send(new sdk.UpdatePrimaryRegionCommand({ KeyId: primary.Arn, PrimaryRegion: "eu-west-1" }));
  const nowPrimary = (await west.send(new sdk.DescribeKeyCommand({ KeyId: primary.KeyId }))).KeyMetadata!;
  t.is(nowPrimary.MultiRegionConfiguration!.MultiRegionKeyType, "PRIMARY");
  t.is(nowPrimary.MultiRegionConfiguration!.PrimaryKey!.Arn, replica.Arn);
  const nowReplica = (await east.send(new sdk.DescribeKeyCommand({ KeyId: primary.KeyId }))).KeyMetadata!;
  t.is(nowReplica.MultiRegionConfiguration!.MultiRegionKeyType, "REPLICA");
  const again = await t.throwsAsync(west.send(new sdk.ReplicateKeyCommand({ KeyId: primary.KeyId, ReplicaRegion: "us-east-1" })));
  t.true(again instanceof sdk.AlreadyExistsException, again?.name);
});

test.serial("deletion: ScheduleKeyDeletion, CancelKeyDeletion", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms);
  const scheduled = await kms.send(new sdk.ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
  t.is(scheduled.KeyId, key.Arn);
  t.is(scheduled.KeyState, "PendingDeletion");
  t.is(scheduled.PendingWindowInDays, 7);
  t.true(scheduled.DeletionDate instanceof Date);
  t.true(Math.abs(scheduled.DeletionDate!.getTime() - (Date.now() + 7 * 86_400_000)) < 86_400_000, "deleted in 7 days");
  const pending = (await kms.send(new sdk.DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
  t.is(pending.KeyState, "PendingDeletion");
  t.true(pending.DeletionDate instanceof Date);
  const refused = await t.throwsAsync(kms.send(new sdk.EncryptCommand({ KeyId: key.KeyId, Plaintext: text("x") })));
  t.true(refused instanceof sdk.KMSInvalidStateException, refused?.name);

  const cancelled = await kms.send(new sdk.CancelKeyDeletionCommand({ KeyId: key.KeyId }));
  t.is(cancelled.KeyId, key.Arn);
  const after = (await kms.send(new sdk.DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
  t.is(after.KeyState, "Disabled");
  t.is(after.DeletionDate, undefined);
});

test.serial("RSA_2048 SIGN_VERIFY and ECC_NIST_P256 SIGN_VERIFY: Sign, Verify, GetPublicKey; node verifies the signatures", async (t) => {
  const kms = awsKms();
  const message = text("signed by KMS");
  for (const { spec, algorithm, nodeOptions } of [
    { spec: "RSA_2048", algorithm: "RSASSA_PSS_SHA_256", nodeOptions: { padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
    { spec: "ECC_NIST_P256", algorithm: "ECDSA_SHA_256", nodeOptions: {} },
  ] as const) {
    const key = await createKey(kms, { KeySpec: spec, KeyUsage: "SIGN_VERIFY" });
    t.is(key.KeySpec, spec);
    t.is(key.KeyUsage, "SIGN_VERIFY");
    t.true(key.SigningAlgorithms!.includes(algorithm));
    t.is(key.EncryptionAlgorithms, undefined);

    const published = await kms.send(new sdk.GetPublicKeyCommand({ KeyId: key.KeyId }));
    t.is(published.KeyId, key.Arn);
    t.is(published.KeySpec, spec);
    t.is(published.CustomerMasterKeySpec, spec);
    t.is(published.KeyUsage, "SIGN_VERIFY");
    t.deepEqual(published.SigningAlgorithms, key.SigningAlgorithms);
    isBlob(t, published.PublicKey, undefined, "PublicKey");
    const publicKey = createPublicKey({ key: Buffer.from(published.PublicKey!), format: "der", type: "spki" });

    const signed = await kms.send(new sdk.SignCommand({ KeyId: key.KeyId, Message: message, MessageType: "RAW", SigningAlgorithm: algorithm }));
    t.is(signed.KeyId, key.Arn);
    t.is(signed.SigningAlgorithm, algorithm);
    isBlob(t, signed.Signature, undefined, "Signature");
    t.true(nodeVerify("sha256", message, { key: publicKey, ...nodeOptions }, signed.Signature!), `${spec}: node verifies the signature`);

    const digest = createHash("sha256").update(message).digest();
    const verified = await kms.send(new sdk.VerifyCommand({ KeyId: key.KeyId, Message: digest, MessageType: "DIGEST", Signature: signed.Signature, SigningAlgorithm: algorithm }));
    t.true(verified.SignatureValid);
    t.is(verified.KeyId, key.Arn);
    t.is(verified.SigningAlgorithm, algorithm);

    const invalid = await t.throwsAsync(kms.send(new sdk.VerifyCommand({ KeyId: key.KeyId, Message: text("another message"), Signature: signed.Signature, SigningAlgorithm: algorithm })));
    t.true(invalid instanceof sdk.KMSInvalidSignatureException, invalid?.name);
    const wrongUsage = await t.throwsAsync(kms.send(new sdk.EncryptCommand({ KeyId: key.KeyId, Plaintext: message })));
    t.true(wrongUsage instanceof sdk.InvalidKeyUsageException, wrongUsage?.name);
  }
});

test.serial("RSA_2048 ENCRYPT_DECRYPT: node encrypts with GetPublicKey's key, Decrypt opens it; Encrypt on the server; Sign is InvalidKeyUsageException", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms, { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" });
  t.deepEqual(key.EncryptionAlgorithms, ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]);
  const published = await kms.send(new sdk.GetPublicKeyCommand({ KeyId: key.KeyId }));
  t.deepEqual(published.EncryptionAlgorithms, ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]);
  t.is(published.SigningAlgorithms, undefined);
  const publicKey = createPublicKey({ key: Buffer.from(published.PublicKey!), format: "der", type: "spki" });
  const local = publicEncrypt({ key: publicKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, text("offline"));
  const opened = await kms.send(new sdk.DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: local, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }));
  t.deepEqual(opened.Plaintext, text("offline"));
  t.is(opened.EncryptionAlgorithm, "RSAES_OAEP_SHA_256");

  const remote = await kms.send(new sdk.EncryptCommand({ KeyId: key.KeyId, Plaintext: text("online"), EncryptionAlgorithm: "RSAES_OAEP_SHA_1" }));
  isBlob(t, remote.CiphertextBlob, 256, "RSA-2048 ciphertext");
  t.is(remote.EncryptionAlgorithm, "RSAES_OAEP_SHA_1");
  t.deepEqual((await kms.send(new sdk.DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: remote.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_1" }))).Plaintext, text("online"));
  const wrongUsage = await t.throwsAsync(kms.send(new sdk.SignCommand({ KeyId: key.KeyId, Message: text("x"), SigningAlgorithm: "RSASSA_PSS_SHA_256" })));
  t.true(wrongUsage instanceof sdk.InvalidKeyUsageException, wrongUsage?.name);
});

test.serial("ML_KEM_768: Encapsulate, and Decapsulate of what a client encapsulated with GetPublicKey's key", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms, { KeySpec: "ML_KEM_768", KeyUsage: "ENCAPSULATE_DECAPSULATE" });
  t.deepEqual(key.EncapsulationAlgorithms, ["ML_KEM"]);
  t.is(key.KeyUsage, "ENCAPSULATE_DECAPSULATE");
  const published = await kms.send(new sdk.GetPublicKeyCommand({ KeyId: key.KeyId }));
  t.deepEqual(published.EncapsulationAlgorithms, ["ML_KEM"]);
  const local = ml_kem768.encapsulate(published.PublicKey!.subarray(published.PublicKey!.length - 1184));
  const recovered = await kms.send(new sdk.DecapsulateCommand({ KeyId: key.KeyId, SharedSecretCiphertextBlob: local.cipherText, EncapsulationAlgorithm: "ML_KEM" }));
  t.deepEqual(Buffer.from(recovered.SharedSecret!), Buffer.from(local.sharedSecret));
  t.is(recovered.EncapsulationAlgorithm, "ML_KEM");
  const made = await kms.send(new sdk.EncapsulateCommand({ KeyId: key.KeyId, EncapsulationAlgorithm: "ML_KEM" }));
  t.is(made.KeyId, key.Arn);
  isBlob(t, made.SharedSecret, 32, "SharedSecret");
  isBlob(t, made.SharedSecretCiphertextBlob, 1088, "SharedSecretCiphertextBlob");
  const again = await kms.send(new sdk.DecapsulateCommand({ KeyId: key.Arn, SharedSecretCiphertextBlob: made.SharedSecretCiphertextBlob, EncapsulationAlgorithm: "ML_KEM" }));
  t.deepEqual(again.SharedSecret, made.SharedSecret);
});

test.serial("ECC_NIST_P256 KEY_AGREEMENT: DeriveSharedSecret equals node's ECDH", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms, { KeySpec: "ECC_NIST_P256", KeyUsage: "KEY_AGREEMENT" });
  t.deepEqual(key.KeyAgreementAlgorithms, ["ECDH"]);
  const published = await kms.send(new sdk.GetPublicKeyCommand({ KeyId: key.KeyId }));
  t.is(published.KeyUsage, "KEY_AGREEMENT");
  t.deepEqual(published.KeyAgreementAlgorithms, ["ECDH"]);
  const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const derived = await kms.send(new sdk.DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peer.publicKey.export({ type: "spki", format: "der" }) }));
  t.is(derived.KeyId, key.Arn);
  t.is(derived.KeyAgreementAlgorithm, "ECDH");
  t.is(derived.KeyOrigin, "AWS_KMS");
  isBlob(t, derived.SharedSecret, 32, "SharedSecret");
  const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: createPublicKey({ key: Buffer.from(published.PublicKey!), format: "der", type: "spki" }) });
  t.deepEqual(Buffer.from(derived.SharedSecret!), expected);
});

test.serial("HMAC_256: GenerateMac, VerifyMac; a wrong MAC is KMSInvalidMacException", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
  t.deepEqual(key.MacAlgorithms, ["HMAC_SHA_256"]);
  const message = text("authenticated");
  const mac = await kms.send(new sdk.GenerateMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: "HMAC_SHA_256" }));
  t.is(mac.KeyId, key.Arn);
  t.is(mac.MacAlgorithm, "HMAC_SHA_256");
  isBlob(t, mac.Mac, 32, "Mac");
  t.deepEqual((await kms.send(new sdk.GenerateMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: "HMAC_SHA_256" }))).Mac, mac.Mac, "HMAC is deterministic");
  const verified = await kms.send(new sdk.VerifyMacCommand({ KeyId: key.KeyId, Message: message, Mac: mac.Mac, MacAlgorithm: "HMAC_SHA_256" }));
  t.true(verified.MacValid);
  t.is(verified.KeyId, key.Arn);
  t.is(verified.MacAlgorithm, "HMAC_SHA_256");
  const wrong = Uint8Array.from(mac.Mac!);
  wrong[0]! ^= 1;
  const invalid = await t.throwsAsync(kms.send(new sdk.VerifyMacCommand({ KeyId: key.KeyId, Message: message, Mac: wrong, MacAlgorithm: "HMAC_SHA_256" })));
  t.true(invalid instanceof sdk.KMSInvalidMacException, invalid?.name);
  const wrongUsage = await t.throwsAsync(kms.send(new sdk.GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" })));
  t.true(wrongUsage instanceof sdk.InvalidKeyUsageException, wrongUsage?.name);
});

test.serial("GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: the pair matches, the wrapped private key decrypts", async (t) => {
  const kms = awsKms();
  const key = await createKey(kms);
  const context = { pair: "yes" };
  const pair = await kms.send(new sdk.GenerateDataKeyPairCommand({ KeyId: key.KeyId, KeyPairSpec: "ECC_NIST_P256", EncryptionContext: context }));
  t.is(pair.KeyId, key.Arn);
  t.is(pair.KeyPairSpec, "ECC_NIST_P256");
  isBlob(t, pair.PublicKey, undefined, "PublicKey");
  isBlob(t, pair.PrivateKeyPlaintext, undefined, "PrivateKeyPlaintext");
  isBlob(t, pair.PrivateKeyCiphertextBlob, undefined, "PrivateKeyCiphertextBlob");
  const privateKey = createPrivateKey({ key: Buffer.from(pair.PrivateKeyPlaintext!), format: "der", type: "pkcs8" });
  t.deepEqual(createPublicKey(privateKey).export({ type: "spki", format: "der" }), Buffer.from(pair.PublicKey!));
  t.deepEqual((await kms.send(new sdk.DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }))).Plaintext, pair.PrivateKeyPlaintext);

  const withoutPlaintext = await kms.send(new sdk.GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: key.KeyId, KeyPairSpec: "RSA_2048" }));
  t.is(withoutPlaintext.KeyPairSpec, "RSA_2048");
  t.is(withoutPlaintext.KeyId, key.Arn);
  const rsaPublic = createPublicKey({ key: Buffer.from(withoutPlaintext.PublicKey!), format: "der", type: "spki" });
  t.is(rsaPublic.asymmetricKeyDetails?.modulusLength, 2048);
  const rsaPrivate = (await kms.send(new sdk.DecryptCommand({ CiphertextBlob: withoutPlaintext.PrivateKeyCiphertextBlob }))).Plaintext!;
  t.deepEqual(createPublicKey(createPrivateKey({ key: Buffer.from(rsaPrivate), format: "der", type: "pkcs8" })).export({ type: "spki", format: "der" }), Buffer.from(withoutPlaintext.PublicKey!));
});

test.serial("errors as the SDK surfaces them: NotFoundException, ValidationException, and the service exception's metadata", async (t) => {
  const kms = awsKms();
  const missing = await t.throwsAsync(kms.send(new sdk.DescribeKeyCommand({ KeyId: "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000" })));
  t.true(missing instanceof sdk.NotFoundException, missing?.name);
  t.true(missing instanceof sdk.KMSServiceException);
  const metadata = (missing as sdk.NotFoundException).$metadata;
  t.is(metadata.httpStatusCode, 400);
  t.regex(metadata.requestId ?? "", /^[0-9a-f-]{36}$/);
  t.is((missing as sdk.NotFoundException).$fault, "client");

  // The SDK exports no ValidationException class (it is a common AWS error, not a KMS one): check the name.
  t.false("ValidationException" in sdk);
  const tooMany = await t.throwsAsync(kms.send(new sdk.GenerateRandomCommand({ NumberOfBytes: 1025 })));
  t.is(tooMany?.name, "ValidationException");
  t.true(tooMany instanceof sdk.KMSServiceException);
  const badEnum = await t.throwsAsync(kms.send(new sdk.CreateKeyCommand({ KeySpec: "NOT_A_SPEC" as sdk.KeySpec })));
  t.is(badEnum?.name, "ValidationException");
  t.regex(badEnum?.message ?? "", /NOT_A_SPEC/);
  const bothSpecs = await t.throwsAsync(kms.send(new sdk.GenerateDataKeyCommand({ KeyId: (await createKey(kms)).KeyId, KeySpec: "AES_256", NumberOfBytes: 32 })));
  t.is(bothSpecs?.name, "ValidationException");
});

test.serial("pagination with the SDK's paginators and a small Limit collects everything exactly once", async (t) => {
  const kms = awsKms();
  const collect = async <P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<{ items: T[]; pages: number }> => {
    const all: T[] = [];
    let count = 0;
    for await (const page of pages) {
      count++;
      all.push(...(items(page) ?? []));
    }
    return { items: all, pages: count };
  };

  const mine: string[] = [];
  for (let i = 0; i < 5; i++) mine.push((await createKey(kms, { Description: `page ${i}` })).KeyId!);
  const keys = await collect(sdk.paginateListKeys({ client: kms, pageSize: 2 }, {}), (p) => p.Keys);
  const keyIds = keys.items.map((k) => k.KeyId!);
  t.is(new Set(keyIds).size, keyIds.length, "no key twice");
  for (const id of mine) t.true(keyIds.includes(id));
  t.deepEqual([...keyIds].sort(), (await kms.send(new sdk.ListKeysCommand({ Limit: 1000 }))).Keys!.map((k) => k.KeyId!).sort());
  t.is(keys.pages, Math.ceil(keyIds.length / 2));

  for (const [i, id] of mine.entries()) await kms.send(new sdk.CreateAliasCommand({ AliasName: `alias/page-${i}`, TargetKeyId: id }));
  const aliases = await collect(sdk.paginateListAliases({ client: kms, pageSize: 2 }, {}), (p) => p.Aliases);
  const aliasNames = aliases.items.map((a) => a.AliasName!);
  t.is(new Set(aliasNames).size, aliasNames.length);
  for (let i = 0; i < 5; i++) t.true(aliasNames.includes(`alias/page-${i}`));
  t.true(aliases.pages >= 3);

  const grantKey = mine[0]!;
  const grantee = await newUser();
  const grantIds: string[] = [];
  for (let i = 0; i < 5; i++) grantIds.push((await kms.send(new sdk.CreateGrantCommand({ KeyId: grantKey, GranteePrincipal: grantee.arn, Operations: ["Encrypt"], Name: `page-${i}` }))).GrantId!);
  const grants = await collect(sdk.paginateListGrants({ client: kms, pageSize: 2 }, { KeyId: grantKey }), (p) => p.Grants);
  t.deepEqual(grants.items.map((g) => g.GrantId!).sort(), [...grantIds].sort());
  t.is(grants.pages, 3);

  for (let i = 0; i < 3; i++) await kms.send(new sdk.RotateKeyOnDemandCommand({ KeyId: grantKey }));
  const rotations = await collect(sdk.paginateListKeyRotations({ client: kms, pageSize: 1 }, { KeyId: grantKey }), (p) => p.Rotations);
  t.is(rotations.items.length, 3);
  t.is(rotations.pages, 3);
  t.true(rotations.items.every((r) => r.RotationType === "ON_DEMAND" && r.RotationDate instanceof Date));
  const dates = rotations.items.map((r) => r.RotationDate!.getTime());
  t.deepEqual(dates, [...dates].sort((a, b) => a - b), "oldest first, as AWS lists them");

  const tags = Array.from({ length: 7 }, (_, i) => ({ TagKey: `k${i}`, TagValue: `v${i}` }));
  await kms.send(new sdk.TagResourceCommand({ KeyId: grantKey, Tags: tags }));
  const listedTags = await collect(sdk.paginateListResourceTags({ client: kms, pageSize: 2 }, { KeyId: grantKey }), (p) => p.Tags);
  t.deepEqual(listedTags.items, tags);
  t.is(listedTags.pages, 4);
});

test.serial("identifiers in responses take AWS's form: grants name their key by ARN and their issuing account as a root ARN; rotations name the key by its ID", async (t) => {
  // What AWS KMS answers, from its API reference and CLI examples and CloudTrail's responseElements:
  // GrantListEntry.KeyId is the key ARN ("arn:aws:kms:us-west-2:111122223333:key/1234abcd-...")
  // and IssuingAccount "arn:aws:iam::111122223333:root", whether ListGrants was given an ID or an
  // ARN; RotateKeyOnDemand and ListKeyRotations answer with the key ID ("1234abcd-12ab-...").
  // Every difference is collected and reported at once.
  const kms = awsKms();
  const key = await createKey(kms);
  const grantee = await newUser();
  await kms.send(new sdk.CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee.arn, RetiringPrincipal: grantee.arn, Operations: ["Decrypt"] }));
  const rotated = await kms.send(new sdk.RotateKeyOnDemandCommand({ KeyId: key.Arn }));
  const listedGrant = (await kms.send(new sdk.ListGrantsCommand({ KeyId: key.KeyId }))).Grants![0]!;
  const retirableGrant = (await kms.send(new sdk.ListRetirableGrantsCommand({ RetiringPrincipal: grantee.arn }))).Grants![0]!;
  const rotation = (await kms.send(new sdk.ListKeyRotationsCommand({ KeyId: key.Arn }))).Rotations![0]!;
  const observed = {
    "ListGrants Grants[].KeyId": listedGrant.KeyId,
    "ListGrants Grants[].IssuingAccount": listedGrant.IssuingAccount,
    "ListRetirableGrants Grants[].KeyId": retirableGrant.KeyId,
    "ListRetirableGrants Grants[].IssuingAccount": retirableGrant.IssuingAccount,
    "RotateKeyOnDemand KeyId": rotated.KeyId,
    "ListKeyRotations Rotations[].KeyId": rotation.KeyId,
  };
  const expected = {
    "ListGrants Grants[].KeyId": key.Arn,
    "ListGrants Grants[].IssuingAccount": "arn:aws:iam::111122223333:root",
    "ListRetirableGrants Grants[].KeyId": key.Arn,
    "ListRetirableGrants Grants[].IssuingAccount": "arn:aws:iam::111122223333:root",
    "RotateKeyOnDemand KeyId": key.KeyId,
    "ListKeyRotations Rotations[].KeyId": key.KeyId,
  };
  t.deepEqual(observed, expected);
});

test.serial("every RPC of the contract has succeeded through the AWS SDK in this file, and the SDK has a Command for each", (t) => {
  const contract = KeyManagementService.methods.map((m) => m.name).sort();
  for (const name of contract) t.is(typeof (sdk as unknown as Record<string, unknown>)[`${name}Command`], "function", `the SDK has ${name}Command`);
  t.deepEqual([...succeeded].sort(), contract, "the operations that succeeded are exactly the contract's");
});
