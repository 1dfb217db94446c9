import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import test, { type ExecutionContext } from "ava";
import type { CreateKeyRequestSchema } from "../gen/kms/v1/keys_pb.js";
import { EncryptionAlgorithmSpec, KeyManagerType, KeySpec, KeyState, KeyUsage, OriginType, type KeyMetadata } from "../gen/kms/v1/types_pb.js";
import { allClients, failureOf, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

const ACCOUNT = "111122223333";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;
const MESSAGE = "key management test";
const plaintext = new TextEncoder().encode(MESSAGE);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

/** The ARN of a key of the default region. */
function keyArn(keyId: string, region = "us-east-1"): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`;
}

/** Creates a key and returns its metadata. */
async function newKey(kms: KmsClient, init: MessageInitShape<typeof CreateKeyRequestSchema> = {}): Promise<KeyMetadata> {
  const { keyMetadata } = await kms.createKey(init);
  if (!keyMetadata) throw new Error("CreateKey returned no key_metadata");
  return keyMetadata;
}

async function describe(kms: KmsClient, keyId: string): Promise<KeyMetadata> {
  const { keyMetadata } = await kms.describeKey({ keyId });
  if (!keyMetadata) throw new Error("DescribeKey returned no key_metadata");
  return keyMetadata;
}

/** Every key id of the region, following next_marker to the end. */
async function allKeyIds(kms: KmsClient): Promise<string[]> {
  const ids: string[] = [];
  let marker = "";
  for (let page = 0; page < 1000; page++) {
    const res = await kms.listKeys({ limit: 1000, marker });
    ids.push(...res.keys.map((k) => k.keyId));
    if (!res.truncated) return ids;
    marker = res.nextMarker;
  }
  throw new Error("ListKeys never stopped being truncated");
}

/** A fresh alias name. */
function aliasName(label: string): string {
  return `alias/${label}-${randomUUID()}`;
}

/** Asserts the call fails with the exception and gRPC code. */
async function assertFailure(t: ExecutionContext, call: Promise<unknown>, exception: string, code: Code, what: string): Promise<void> {
  const failure = await failureOf(call);
  t.is(failure.exception, exception, `${what}: ${failure.message}`);
  t.is(failure.code, code, `${what}: gRPC code`);
}

/** Asserts that a date is within toleranceMs of the expected instant. */
function assertNear(t: ExecutionContext, actual: Date, expectedMs: number, toleranceMs: number, what: string): void {
  t.true(Math.abs(actual.getTime() - expectedMs) <= toleranceMs, `${what}: ${actual.toISOString()} is not within ${toleranceMs} ms of ${new Date(expectedMs).toISOString()}`);
}

// ---------------------------------------------------------------------------------------------
// CreateKey refusals. Serial tests run before every concurrent one, so the key count of the
// region cannot move under them except through the refused call itself.

const refusals: Array<{ title: string; request: MessageInitShape<typeof CreateKeyRequestSchema>; exception: string; code: Code }> = [
  { title: "description of 8193 characters", request: { description: "d".repeat(8193) }, exception: "ValidationException", code: Code.InvalidArgument },
  { title: "key spec SM2 (China Regions only)", request: { keySpec: KeySpec.SM2, keyUsage: KeyUsage.SIGN_VERIFY }, exception: "UnsupportedOperationException", code: Code.Unimplemented },
  { title: "HMAC_256 without its usage", request: { keySpec: KeySpec.HMAC_256 }, exception: "ValidationException", code: Code.InvalidArgument },
  { title: "SIGN_VERIFY with SYMMETRIC_DEFAULT", request: { keySpec: KeySpec.SYMMETRIC_DEFAULT, keyUsage: KeyUsage.SIGN_VERIFY }, exception: "ValidationException", code: Code.InvalidArgument },
  {
    title: "51 tags",
    request: { tags: Array.from({ length: 51 }, (_, i) => ({ tagKey: `k${i}`, tagValue: "v" })) },
    exception: "TagException",
    code: Code.InvalidArgument,
  },
  { title: "tag key of 129 characters", request: { tags: [{ tagKey: "k".repeat(129), tagValue: "v" }] }, exception: "TagException", code: Code.InvalidArgument },
  { title: "tag key with aws: prefix", request: { tags: [{ tagKey: "aws:owner", tagValue: "v" }] }, exception: "TagException", code: Code.InvalidArgument },
  { title: "tag value of 257 characters", request: { tags: [{ tagKey: "k", tagValue: "v".repeat(257) }] }, exception: "TagException", code: Code.InvalidArgument },
  {
    title: "duplicate tag keys",
    request: { tags: [{ tagKey: "team", tagValue: "a" }, { tagKey: "team", tagValue: "b" }] },
    exception: "TagException",
    code: Code.InvalidArgument,
  },
  { title: "policy that is not JSON", request: { policy: "{not json" }, exception: "MalformedPolicyDocumentException", code: Code.InvalidArgument },
  {
    title: "policy over 32768 bytes",
    request: { policy: JSON.stringify({ Version: "2012-10-17", Statement: [], Padding: "p".repeat(32_768) }) },
    exception: "LimitExceededException",
    code: Code.ResourceExhausted,
  },
];

for (const kind of allClients) {
  for (const refusal of refusals) {
    test.serial(`${kind.name}: CreateKey refuses a ${refusal.title} and creates nothing`, async (t) => {
      const kms = kind.connect(server);
      const before = await allKeyIds(kms);
      await assertFailure(t, kms.createKey(refusal.request), refusal.exception, refusal.code, refusal.title);
      const after = await allKeyIds(kms);
      t.is(after.length, before.length, "ListKeys count changed");
    });
  }
}

for (const kind of allClients) {
  // -------------------------------------------------------------------------------------------
  // CreateKey

  test(`${kind.name}: CreateKey defaults`, async (t) => {
    const kms = kind.connect(server);
    const startedMs = Date.now();
    const key = await newKey(kms);
    t.regex(key.keyId, UUID);
    t.is(key.arn, keyArn(key.keyId));
    t.regex(key.arn, /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/);
    t.is(key.awsAccountId, ACCOUNT);
    t.is(key.keySpec, KeySpec.SYMMETRIC_DEFAULT);
    t.is(key.keyUsage, KeyUsage.ENCRYPT_DECRYPT);
    t.is(key.origin, OriginType.AWS_KMS);
    t.is(key.keyManager, KeyManagerType.CUSTOMER);
    t.is(key.keyState, KeyState.ENABLED);
    t.true(key.enabled);
    t.is(key.description, "");
    t.false(key.multiRegion);
    t.deepEqual(key.encryptionAlgorithms, [EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT]);
    t.regex(key.currentKeyMaterialId, /^[0-9a-f]{64}$/);
    t.is(key.deletionDate, undefined);
    t.is(key.pendingDeletionWindowInDays, undefined);
    t.truthy(key.creationDate);
    assertNear(t, timestampDate(key.creationDate!), startedMs, 10_000, "creationDate");
    // DescribeKey reports the same metadata.
    t.deepEqual(await describe(kms, key.keyId), key);
  });

  test(`${kind.name}: CreateKey accepts a description and tags at their limits`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, { description: "payments ledger" });
    t.is(key.description, "payments ledger");
    t.is((await describe(kms, key.keyId)).description, "payments ledger");

    const tags = Array.from({ length: 50 }, (_, i) => ({ tagKey: String(i).padEnd(128, "k"), tagValue: "v".repeat(256) }));
    const longest = await newKey(kms, { description: "x".repeat(8192), tags });
    t.is(longest.description.length, 8192);
    t.is(longest.keyState, KeyState.ENABLED);

    const rootPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }] };
    const withPolicy = await newKey(kms, { policy: JSON.stringify(rootPolicy) });
    t.is(withPolicy.keyState, KeyState.ENABLED);
  });

  // -------------------------------------------------------------------------------------------
  // DescribeKey

  test(`${kind.name}: DescribeKey by key id, key ARN, alias name and alias ARN`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, { description: "described" });
    const alias = aliasName("describe");
    await kms.createAlias({ aliasName: alias, targetKeyId: key.keyId });
    for (const identifier of [key.keyId, key.arn, alias, `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`]) {
      const found = await describe(kms, identifier);
      t.is(found.keyId, key.keyId, identifier);
      t.is(found.arn, key.arn, identifier);
      t.is(found.description, "described", identifier);
    }
  });

  test(`${kind.name}: DescribeKey refusals`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    await assertFailure(t, kms.describeKey({ keyId: randomUUID() }), "NotFoundException", Code.NotFound, "unknown uuid");
    await assertFailure(t, kms.describeKey({ keyId: "not-a-key-id" }), "NotFoundException", Code.NotFound, "malformed key id");
    await assertFailure(t, kms.describeKey({ keyId: "" }), "ValidationException", Code.InvalidArgument, "empty key id");
    await assertFailure(t, kms.describeKey({ keyId: keyArn(key.keyId, "eu-west-1") }), "NotFoundException", Code.NotFound, "ARN of another region");
    await assertFailure(t, kms.describeKey({ keyId: `arn:aws:kms:us-east-1:444455556666:key/${key.keyId}` }), "NotFoundException", Code.NotFound, "ARN of another account");
    await assertFailure(t, kms.describeKey({ keyId: "arn:aws:kms:bad" }), "InvalidArnException", Code.InvalidArgument, "malformed ARN");
    await assertFailure(t, kms.describeKey({ keyId: aliasName("missing") }), "NotFoundException", Code.NotFound, "unknown alias");
  });

  // -------------------------------------------------------------------------------------------
  // ListKeys

  test(`${kind.name}: ListKeys pages through every key without duplicates`, async (t) => {
    // A server of its own, so the listing is exactly the keys made here.
    const fresh = await startTestServer();
    try {
      const kms = kind.connect(fresh);
      const created: string[] = [];
      for (let i = 0; i < 7; i++) created.push((await newKey(kms)).keyId);

      const listed: string[] = [];
      const pageSizes: number[] = [];
      let marker = "";
      for (let page = 0; page < 10; page++) {
        const res = await kms.listKeys({ limit: 3, marker });
        pageSizes.push(res.keys.length);
        for (const entry of res.keys) {
          t.is(entry.keyArn, keyArn(entry.keyId));
          listed.push(entry.keyId);
        }
        if (!res.truncated) {
          t.is(res.nextMarker, "", "the last page has no next_marker");
          break;
        }
        t.not(res.nextMarker, "", "a truncated page has a next_marker");
        marker = res.nextMarker;
      }
      t.deepEqual(pageSizes, [3, 3, 1]);
      t.is(new Set(listed).size, listed.length, "no key is listed twice");
      t.deepEqual([...listed].sort(), [...created].sort());

      const whole = await kms.listKeys({});
      t.false(whole.truncated);
      t.is(whole.keys.length, 7);
    } finally {
      await fresh.destroy();
    }
  });

  test(`${kind.name}: ListKeys refuses a bad limit or marker`, async (t) => {
    const kms = kind.connect(server);
    await assertFailure(t, kms.listKeys({ limit: 0 }), "ValidationException", Code.InvalidArgument, "limit 0");
    await assertFailure(t, kms.listKeys({ limit: 1001 }), "ValidationException", Code.InvalidArgument, "limit 1001");
    await assertFailure(t, kms.listKeys({ marker: "garbage!" }), "InvalidMarkerException", Code.InvalidArgument, "garbage marker");
    await assertFailure(t, kms.listKeys({ marker: "Z2FyYmFnZQ" }), "InvalidMarkerException", Code.InvalidArgument, "base64 marker of no listing");
    const res = await kms.listKeys({ limit: 1000 });
    t.true(res.keys.length <= 1000);
  });

  // -------------------------------------------------------------------------------------------
  // UpdateKeyDescription, EnableKey, DisableKey

  test(`${kind.name}: UpdateKeyDescription round trip`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, { description: "before" });
    await kms.updateKeyDescription({ keyId: key.keyId, description: "after" });
    t.is((await describe(kms, key.keyId)).description, "after");
    await kms.updateKeyDescription({ keyId: key.arn, description: "" });
    t.is((await describe(kms, key.keyId)).description, "");
    await assertFailure(t, kms.updateKeyDescription({ keyId: key.keyId, description: "d".repeat(8193) }), "ValidationException", Code.InvalidArgument, "8193 chars");
    t.is((await describe(kms, key.keyId)).description, "");
  });

  test(`${kind.name}: DisableKey and EnableKey`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const before = await kms.encrypt({ keyId: key.keyId, plaintext });

    await kms.disableKey({ keyId: key.keyId });
    const disabled = await describe(kms, key.keyId);
    t.is(disabled.keyState, KeyState.DISABLED);
    t.false(disabled.enabled);
    await assertFailure(t, kms.encrypt({ keyId: key.keyId, plaintext }), "DisabledException", Code.FailedPrecondition, "Encrypt on a disabled key");
    await assertFailure(t, kms.decrypt({ ciphertextBlob: before.ciphertextBlob }), "DisabledException", Code.FailedPrecondition, "Decrypt on a disabled key");
    await kms.disableKey({ keyId: key.arn }); // disabling twice is fine
    t.is((await describe(kms, key.keyId)).keyState, KeyState.DISABLED);

    await kms.enableKey({ keyId: key.arn });
    const enabled = await describe(kms, key.keyId);
    t.is(enabled.keyState, KeyState.ENABLED);
    t.true(enabled.enabled);
    const after = await kms.encrypt({ keyId: key.keyId, plaintext });
    t.is(after.keyId, key.arn);
    t.is(text((await kms.decrypt({ ciphertextBlob: before.ciphertextBlob })).plaintext), MESSAGE);
    await kms.enableKey({ keyId: key.keyId }); // enabling twice is fine
    t.is((await describe(kms, key.keyId)).keyState, KeyState.ENABLED);
  });

  test(`${kind.name}: management operations refuse alias names`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, { description: "kept" });
    const alias = aliasName("mgmt");
    await kms.createAlias({ aliasName: alias, targetKeyId: key.keyId });
    for (const identifier of [alias, `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`]) {
      await assertFailure(t, kms.disableKey({ keyId: identifier }), "NotFoundException", Code.NotFound, `DisableKey ${identifier}`);
      await assertFailure(t, kms.enableKey({ keyId: identifier }), "NotFoundException", Code.NotFound, `EnableKey ${identifier}`);
      await assertFailure(t, kms.updateKeyDescription({ keyId: identifier, description: "changed" }), "NotFoundException", Code.NotFound, `UpdateKeyDescription ${identifier}`);
      await assertFailure(t, kms.scheduleKeyDeletion({ keyId: identifier }), "NotFoundException", Code.NotFound, `ScheduleKeyDeletion ${identifier}`);
      await assertFailure(t, kms.cancelKeyDeletion({ keyId: identifier }), "NotFoundException", Code.NotFound, `CancelKeyDeletion ${identifier}`);
    }
    const unchanged = await describe(kms, key.keyId);
    t.is(unchanged.keyState, KeyState.ENABLED);
    t.is(unchanged.description, "kept");
  });

  test(`${kind.name}: management operations on an unknown key are NotFound`, async (t) => {
    const kms = kind.connect(server);
    const missing = randomUUID();
    await assertFailure(t, kms.enableKey({ keyId: missing }), "NotFoundException", Code.NotFound, "EnableKey");
    await assertFailure(t, kms.disableKey({ keyId: keyArn(missing) }), "NotFoundException", Code.NotFound, "DisableKey");
    await assertFailure(t, kms.scheduleKeyDeletion({ keyId: missing }), "NotFoundException", Code.NotFound, "ScheduleKeyDeletion");
    await assertFailure(t, kms.cancelKeyDeletion({ keyId: missing }), "NotFoundException", Code.NotFound, "CancelKeyDeletion");
  });

  // -------------------------------------------------------------------------------------------
  // ScheduleKeyDeletion, CancelKeyDeletion

  test(`${kind.name}: ScheduleKeyDeletion defaults to 30 days`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const startedMs = Date.now();
    const res = await kms.scheduleKeyDeletion({ keyId: key.keyId });
    t.is(res.keyId, key.arn);
    t.is(res.keyState, KeyState.PENDING_DELETION);
    t.is(res.pendingWindowInDays, 30);
    t.truthy(res.deletionDate);
    assertNear(t, timestampDate(res.deletionDate!), startedMs + 30 * DAY_MS, 60_000, "deletionDate");

    const pending = await describe(kms, key.keyId);
    t.is(pending.keyState, KeyState.PENDING_DELETION);
    t.false(pending.enabled);
    t.is(pending.pendingDeletionWindowInDays, 30);
    t.truthy(pending.deletionDate);
    t.is(timestampDate(pending.deletionDate!).getTime(), timestampDate(res.deletionDate!).getTime());
  });

  test(`${kind.name}: ScheduleKeyDeletion accepts 7 and 30 days and refuses 6 and 31`, async (t) => {
    const kms = kind.connect(server);
    for (const days of [7, 30]) {
      const key = await newKey(kms);
      const startedMs = Date.now();
      const res = await kms.scheduleKeyDeletion({ keyId: key.arn, pendingWindowInDays: days });
      t.is(res.pendingWindowInDays, days);
      t.is(res.keyState, KeyState.PENDING_DELETION);
      assertNear(t, timestampDate(res.deletionDate!), startedMs + days * DAY_MS, 60_000, `deletionDate for ${days} days`);
      t.is((await describe(kms, key.keyId)).pendingDeletionWindowInDays, days);
    }
    const key = await newKey(kms);
    for (const days of [6, 31, 0]) {
      await assertFailure(t, kms.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: days }), "ValidationException", Code.InvalidArgument, `${days} days`);
    }
    const untouched = await describe(kms, key.keyId);
    t.is(untouched.keyState, KeyState.ENABLED);
    t.is(untouched.deletionDate, undefined);
  });

  test(`${kind.name}: a key pending deletion refuses use and state changes`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, { description: "doomed" });
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext });
    const first = await kms.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 10 });

    const invalid = (call: Promise<unknown>, what: string) => assertFailure(t, call, "KMSInvalidStateException", Code.FailedPrecondition, what);
    await invalid(kms.scheduleKeyDeletion({ keyId: key.keyId }), "scheduling twice");
    await invalid(kms.encrypt({ keyId: key.keyId, plaintext }), "Encrypt");
    await invalid(kms.decrypt({ ciphertextBlob }), "Decrypt");
    await invalid(kms.enableKey({ keyId: key.keyId }), "EnableKey");
    await invalid(kms.disableKey({ keyId: key.keyId }), "DisableKey");
    await invalid(kms.updateKeyDescription({ keyId: key.keyId, description: "changed" }), "UpdateKeyDescription");

    // The refused second schedule kept the first window and date.
    const pending = await describe(kms, key.keyId);
    t.is(pending.keyState, KeyState.PENDING_DELETION);
    t.is(pending.pendingDeletionWindowInDays, 10);
    t.is(timestampDate(pending.deletionDate!).getTime(), timestampDate(first.deletionDate!).getTime());
    t.is(pending.description, "doomed");
  });

  test(`${kind.name}: CancelKeyDeletion leaves the key Disabled`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext });
    await kms.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 7 });

    const res = await kms.cancelKeyDeletion({ keyId: key.arn });
    t.is(res.keyId, key.arn);
    const cancelled = await describe(kms, key.keyId);
    t.is(cancelled.keyState, KeyState.DISABLED);
    t.false(cancelled.enabled);
    t.is(cancelled.deletionDate, undefined);
    t.is(cancelled.pendingDeletionWindowInDays, undefined);
    await assertFailure(t, kms.encrypt({ keyId: key.keyId, plaintext }), "DisabledException", Code.FailedPrecondition, "Encrypt after cancel");

    await kms.enableKey({ keyId: key.keyId });
    t.is((await describe(kms, key.keyId)).keyState, KeyState.ENABLED);
    t.is(text((await kms.decrypt({ ciphertextBlob })).plaintext), MESSAGE);
  });

  test(`${kind.name}: CancelKeyDeletion on a key not pending deletion is KMSInvalidStateException`, async (t) => {
    const kms = kind.connect(server);
    const enabled = await newKey(kms);
    await assertFailure(t, kms.cancelKeyDeletion({ keyId: enabled.keyId }), "KMSInvalidStateException", Code.FailedPrecondition, "Enabled key");
    const disabled = await newKey(kms);
    await kms.disableKey({ keyId: disabled.keyId });
    await assertFailure(t, kms.cancelKeyDeletion({ keyId: disabled.keyId }), "KMSInvalidStateException", Code.FailedPrecondition, "Disabled key");
    t.is((await describe(kms, enabled.keyId)).keyState, KeyState.ENABLED);
    t.is((await describe(kms, disabled.keyId)).keyState, KeyState.DISABLED);
  });
}
