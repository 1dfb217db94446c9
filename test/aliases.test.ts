import { randomUUID } from "node:crypto";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import test, { type ExecutionContext } from "ava";
import type { AliasListEntry } from "../gen/kms/v1/aliases_pb.js";
import { KeySpec, KeyState, KeyUsage, type KeyMetadata } from "../gen/kms/v1/types_pb.js";
import { allClients, failureOf, type KmsClient } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

const ACCOUNT = "111122223333";
const MESSAGE = "alias test";
const plaintext = new TextEncoder().encode(MESSAGE);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

/** A fresh alias name. */
function aliasName(label: string): string {
  return `alias/${label}-${randomUUID()}`;
}

/** The ARN of an alias of the default region. */
function aliasArn(name: string): string {
  return `arn:aws:kms:us-east-1:${ACCOUNT}:${name}`;
}

async function newKey(kms: KmsClient): Promise<KeyMetadata> {
  const { keyMetadata } = await kms.createKey({});
  if (!keyMetadata) throw new Error("CreateKey returned no key_metadata");
  return keyMetadata;
}

/** Every alias of a key (or of the region when keyId is ""), following next_marker to the end. */
async function allAliases(kms: KmsClient, keyId: string, limit = 100): Promise<AliasListEntry[]> {
  const aliases: AliasListEntry[] = [];
  let marker = "";
  for (let page = 0; page < 1000; page++) {
    const res = await kms.listAliases({ keyId, limit, marker });
    aliases.push(...res.aliases);
    if (!res.truncated) return aliases;
    marker = res.nextMarker;
  }
  throw new Error("ListAliases never stopped being truncated");
}

const names = (aliases: readonly AliasListEntry[]) => aliases.map((a) => a.aliasName);

/** Asserts the call fails with the exception and gRPC code. */
async function assertFailure(t: ExecutionContext, call: Promise<unknown>, exception: string, code: Code, what: string): Promise<void> {
  const failure = await failureOf(call);
  t.is(failure.exception, exception, `${what}: ${failure.message}`);
  t.is(failure.code, code, `${what}: gRPC code`);
}

function assertNear(t: ExecutionContext, actual: Date, expectedMs: number, toleranceMs: number, what: string): void {
  t.true(Math.abs(actual.getTime() - expectedMs) <= toleranceMs, `${what}: ${actual.toISOString()} is not within ${toleranceMs} ms of ${new Date(expectedMs).toISOString()}`);
}

for (const kind of allClients) {
  // -------------------------------------------------------------------------------------------
  // Round trips

  test(`${kind.name}: CreateAlias then ListAliases reports it`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const name = aliasName("round-trip");
    const startedMs = Date.now();
    await kms.createAlias({ aliasName: name, targetKeyId: key.keyId });

    const listed = await kms.listAliases({ keyId: key.keyId });
    t.false(listed.truncated);
    t.is(listed.nextMarker, "");
    t.is(listed.aliases.length, 1);
    const entry = listed.aliases[0]!;
    t.is(entry.aliasName, name);
    t.is(entry.aliasArn, aliasArn(name));
    t.regex(entry.aliasArn, /^arn:aws:kms:us-east-1:111122223333:alias\//);
    t.is(entry.targetKeyId, key.keyId);
    t.truthy(entry.creationDate);
    t.truthy(entry.lastUpdatedDate);
    assertNear(t, timestampDate(entry.creationDate!), startedMs, 10_000, "creationDate");
    t.is(timestampDate(entry.lastUpdatedDate!).getTime(), timestampDate(entry.creationDate!).getTime());

    // The region-wide listing has the same entry.
    const everything = await allAliases(kms, "");
    t.deepEqual(everything.find((a) => a.aliasName === name), entry);
  });

  test(`${kind.name}: ListAliases filters by key id or key ARN`, async (t) => {
    const kms = kind.connect(server);
    const [a, b, lonely] = [await newKey(kms), await newKey(kms), await newKey(kms)];
    const a1 = aliasName("filter-a1");
    const a2 = aliasName("filter-a2");
    const b1 = aliasName("filter-b1");
    await kms.createAlias({ aliasName: a1, targetKeyId: a.keyId });
    await kms.createAlias({ aliasName: a2, targetKeyId: a.arn });
    await kms.createAlias({ aliasName: b1, targetKeyId: b.keyId });

    t.deepEqual(names(await allAliases(kms, a.keyId)), [a1, a2].sort());
    t.deepEqual(names(await allAliases(kms, a.arn)), [a1, a2].sort());
    const ofB = await allAliases(kms, b.arn);
    t.deepEqual(names(ofB), [b1]);
    t.is(ofB[0]!.targetKeyId, b.keyId);
    const none = await kms.listAliases({ keyId: lonely.keyId });
    t.deepEqual(none.aliases, []);
    t.false(none.truncated);

    const everything = names(await allAliases(kms, ""));
    for (const name of [a1, a2, b1]) t.true(everything.includes(name), name);

    await assertFailure(t, kms.listAliases({ keyId: randomUUID() }), "NotFoundException", Code.NotFound, "filter by unknown key");
  });

  test(`${kind.name}: ListAliases pages with limit and marker`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const name = aliasName(`page-${i}`);
      await kms.createAlias({ aliasName: name, targetKeyId: key.keyId });
      created.push(name);
    }

    // One key's aliases: pages of 2, 2 and 1, in name order.
    const pages: string[][] = [];
    let marker = "";
    let filteredMarker = "";
    for (let page = 0; page < 10; page++) {
      const res = await kms.listAliases({ keyId: key.keyId, limit: 2, marker });
      pages.push(names(res.aliases));
      if (!res.truncated) {
        t.is(res.nextMarker, "");
        break;
      }
      t.not(res.nextMarker, "");
      marker = filteredMarker = res.nextMarker;
    }
    t.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
    t.deepEqual(pages.flat(), [...created].sort());

    // The region's aliases: no duplicates, in name order, ours among them.
    const everything = names(await allAliases(kms, "", 3));
    t.is(new Set(everything).size, everything.length, "no alias is listed twice");
    t.deepEqual(everything, [...everything].sort());
    for (const name of created) t.true(everything.includes(name), name);

    await assertFailure(t, kms.listAliases({ marker: "garbage" }), "InvalidMarkerException", Code.InvalidArgument, "garbage marker");
    await assertFailure(t, kms.listAliases({ marker: filteredMarker }), "InvalidMarkerException", Code.InvalidArgument, "marker of another listing");
    await assertFailure(t, kms.listAliases({ limit: 0 }), "ValidationException", Code.InvalidArgument, "limit 0");
    await assertFailure(t, kms.listAliases({ limit: 1001 }), "ValidationException", Code.InvalidArgument, "limit 1001");
  });

  test(`${kind.name}: Encrypt through an alias name and an alias ARN, then Decrypt`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const name = aliasName("encrypt");
    await kms.createAlias({ aliasName: name, targetKeyId: key.arn });
    for (const keyId of [name, aliasArn(name)]) {
      const enc = await kms.encrypt({ keyId, plaintext });
      t.is(enc.keyId, key.arn, keyId);
      const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob });
      t.is(dec.keyId, key.arn, keyId);
      t.is(text(dec.plaintext), MESSAGE, keyId);
      const named = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, keyId });
      t.is(text(named.plaintext), MESSAGE, `Decrypt naming ${keyId}`);
    }
  });

  test(`${kind.name}: UpdateAlias moves Encrypt to the new key`, async (t) => {
    const kms = kind.connect(server);
    const [oldKey, newKeyMeta] = [await newKey(kms), await newKey(kms)];
    const name = aliasName("update");
    await kms.createAlias({ aliasName: name, targetKeyId: oldKey.keyId });
    const before = await kms.encrypt({ keyId: name, plaintext });
    t.is(before.keyId, oldKey.arn);
    const [created] = (await kms.listAliases({ keyId: oldKey.keyId })).aliases;

    await new Promise((resolve) => setTimeout(resolve, 5));
    await kms.updateAlias({ aliasName: name, targetKeyId: newKeyMeta.arn });
    const after = await kms.encrypt({ keyId: name, plaintext });
    t.is(after.keyId, newKeyMeta.arn);
    t.is((await kms.describeKey({ keyId: name })).keyMetadata?.keyId, newKeyMeta.keyId);

    t.deepEqual((await kms.listAliases({ keyId: oldKey.keyId })).aliases, []);
    const [moved] = (await kms.listAliases({ keyId: newKeyMeta.keyId })).aliases;
    t.is(moved?.aliasName, name);
    t.is(moved?.targetKeyId, newKeyMeta.keyId);
    t.is(timestampDate(moved!.creationDate!).getTime(), timestampDate(created!.creationDate!).getTime());
    t.true(timestampDate(moved!.lastUpdatedDate!).getTime() > timestampDate(created!.lastUpdatedDate!).getTime());

    // A ciphertext of the old key still decrypts: the key comes from the ciphertext.
    t.is((await kms.decrypt({ ciphertextBlob: before.ciphertextBlob })).keyId, oldKey.arn);
  });

  test(`${kind.name}: DeleteAlias leaves the key usable by id`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const name = aliasName("delete");
    await kms.createAlias({ aliasName: name, targetKeyId: key.keyId });
    await kms.deleteAlias({ aliasName: name });

    t.deepEqual((await kms.listAliases({ keyId: key.keyId })).aliases, []);
    await assertFailure(t, kms.describeKey({ keyId: name }), "NotFoundException", Code.NotFound, "DescribeKey through the deleted alias");
    await assertFailure(t, kms.encrypt({ keyId: name, plaintext }), "NotFoundException", Code.NotFound, "Encrypt through the deleted alias");
    const enc = await kms.encrypt({ keyId: key.keyId, plaintext });
    t.is(enc.keyId, key.arn);
    t.is(text((await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob })).plaintext), MESSAGE);
    t.is((await kms.describeKey({ keyId: key.keyId })).keyMetadata?.keyState, KeyState.ENABLED);

    await assertFailure(t, kms.deleteAlias({ aliasName: name }), "NotFoundException", Code.NotFound, "deleting twice");
    // The name is free again.
    await kms.createAlias({ aliasName: name, targetKeyId: key.keyId });
    t.deepEqual(names((await kms.listAliases({ keyId: key.keyId })).aliases), [name]);
  });

  // -------------------------------------------------------------------------------------------
  // Rules

  test(`${kind.name}: alias names must follow the rules`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const bad = [
      "no-prefix",
      "alias/has space",
      "alias/bang!",
      "alias/",
      `alias/${"a".repeat(251)}`, // 257 characters
      "alias/aws/foo",
    ];
    for (const name of bad) {
      await assertFailure(t, kms.createAlias({ aliasName: name, targetKeyId: key.keyId }), "InvalidAliasNameException", Code.InvalidArgument, `CreateAlias ${name.slice(0, 40)}`);
    }
    t.deepEqual((await kms.listAliases({ keyId: key.keyId })).aliases, [], "no refused alias was created");

    const longest = `alias/${randomUUID()}`.padEnd(256, "z");
    t.is(longest.length, 256);
    await kms.createAlias({ aliasName: longest, targetKeyId: key.keyId });
    const allowed = `alias/Mixed_Case-1/sub/${randomUUID()}`;
    await kms.createAlias({ aliasName: allowed, targetKeyId: key.keyId });
    t.deepEqual(names((await kms.listAliases({ keyId: key.keyId })).aliases), [longest, allowed].sort());

    await assertFailure(t, kms.updateAlias({ aliasName: "alias/aws/foo", targetKeyId: key.keyId }), "InvalidAliasNameException", Code.InvalidArgument, "UpdateAlias alias/aws/foo");
    await assertFailure(t, kms.deleteAlias({ aliasName: "alias/bang!" }), "InvalidAliasNameException", Code.InvalidArgument, "DeleteAlias alias/bang!");
  });

  test(`${kind.name}: a duplicate alias is AlreadyExistsException`, async (t) => {
    const kms = kind.connect(server);
    const [first, second] = [await newKey(kms), await newKey(kms)];
    const name = aliasName("dup");
    await kms.createAlias({ aliasName: name, targetKeyId: first.keyId });
    await assertFailure(t, kms.createAlias({ aliasName: name, targetKeyId: second.keyId }), "AlreadyExistsException", Code.AlreadyExists, "other key");
    await assertFailure(t, kms.createAlias({ aliasName: name, targetKeyId: first.keyId }), "AlreadyExistsException", Code.AlreadyExists, "same key");
    t.is((await kms.describeKey({ keyId: name })).keyMetadata?.keyId, first.keyId);
    t.deepEqual((await kms.listAliases({ keyId: second.keyId })).aliases, []);
  });

  test(`${kind.name}: alias targets must exist and not be pending deletion`, async (t) => {
    const kms = kind.connect(server);
    const name = aliasName("target");
    await assertFailure(t, kms.createAlias({ aliasName: name, targetKeyId: randomUUID() }), "NotFoundException", Code.NotFound, "CreateAlias to an unknown key");
    await assertFailure(t, kms.describeKey({ keyId: name }), "NotFoundException", Code.NotFound, "the refused alias does not exist");

    const doomed = await newKey(kms);
    await kms.scheduleKeyDeletion({ keyId: doomed.keyId, pendingWindowInDays: 7 });
    await assertFailure(t, kms.createAlias({ aliasName: name, targetKeyId: doomed.keyId }), "KMSInvalidStateException", Code.FailedPrecondition, "CreateAlias to a key pending deletion");
    t.deepEqual((await kms.listAliases({ keyId: doomed.keyId })).aliases, []);

    const live = await newKey(kms);
    await kms.createAlias({ aliasName: name, targetKeyId: live.keyId });
    await assertFailure(t, kms.updateAlias({ aliasName: name, targetKeyId: randomUUID() }), "NotFoundException", Code.NotFound, "UpdateAlias to an unknown key");
    await assertFailure(t, kms.updateAlias({ aliasName: name, targetKeyId: doomed.arn }), "KMSInvalidStateException", Code.FailedPrecondition, "UpdateAlias to a key pending deletion");
    t.is((await kms.describeKey({ keyId: name })).keyMetadata?.keyId, live.keyId);

    // A disabled key may be a target.
    const disabled = await newKey(kms);
    await kms.disableKey({ keyId: disabled.keyId });
    await kms.updateAlias({ aliasName: name, targetKeyId: disabled.keyId });
    t.is((await kms.describeKey({ keyId: name })).keyMetadata?.keyId, disabled.keyId);
  });

  test(`${kind.name}: UpdateAlias and DeleteAlias of an unknown alias are NotFoundException`, async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const name = aliasName("ghost");
    await assertFailure(t, kms.deleteAlias({ aliasName: name }), "NotFoundException", Code.NotFound, "DeleteAlias");
    await assertFailure(t, kms.updateAlias({ aliasName: name, targetKeyId: key.keyId }), "NotFoundException", Code.NotFound, "UpdateAlias");
    await assertFailure(t, kms.describeKey({ keyId: name }), "NotFoundException", Code.NotFound, "UpdateAlias did not create it");
  });
}

test(`${allClients[0]!.name}: a key has at most 50 aliases`, async (t) => {
  const kms = allClients[0]!.connect(server);
  const full = await newKey(kms);
  const prefix = `alias/limit-${randomUUID()}`;
  for (let i = 0; i < 50; i++) await kms.createAlias({ aliasName: `${prefix}-${String(i).padStart(2, "0")}`, targetKeyId: full.keyId });
  t.is((await allAliases(kms, full.keyId)).length, 50);

  await assertFailure(t, kms.createAlias({ aliasName: `${prefix}-50`, targetKeyId: full.keyId }), "LimitExceededException", Code.ResourceExhausted, "the 51st alias");
  await assertFailure(t, kms.describeKey({ keyId: `${prefix}-50` }), "NotFoundException", Code.NotFound, "the refused alias does not exist");

  // Moving another alias onto the full key is refused the same way.
  const other = await newKey(kms);
  const elsewhere = `${prefix}-elsewhere`;
  await kms.createAlias({ aliasName: elsewhere, targetKeyId: other.keyId });
  await assertFailure(t, kms.updateAlias({ aliasName: elsewhere, targetKeyId: full.keyId }), "LimitExceededException", Code.ResourceExhausted, "UpdateAlias onto a full key");
  t.is((await kms.describeKey({ keyId: elsewhere })).keyMetadata?.keyId, other.keyId);

  // Deleting one makes room again.
  await kms.deleteAlias({ aliasName: `${prefix}-00` });
  await kms.createAlias({ aliasName: `${prefix}-50`, targetKeyId: full.keyId });
  t.is((await allAliases(kms, full.keyId)).length, 50);
});

test("UpdateAlias needs kms:UpdateAlias on the key the alias points at now, and DeleteAlias kms:DeleteAlias on it, as in AWS: an alias cannot be taken off a key its caller may not touch", async (t) => {
  const admin = allClients[0]!.connect(server);
  const victim = await newKey(admin);
  const name = aliasName("prod");
  await admin.createAlias({ aliasName: name, targetKeyId: victim.keyId });
  const own = await newKey(admin);
  const policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], Resource: `arn:aws:kms:*:${ACCOUNT}:alias/*` },
      { Effect: "Allow", Action: "kms:*", Resource: own.arn },
    ],
  });
  const iam = identityClient(server.url, server.token);
  const userName = `mallory-${randomUUID().slice(0, 8)}`;
  await iam.createUser({ userName });
  await iam.putUserPolicy({ userName, policyName: "aliases", policyDocument: policy });
  const { accessKey } = await iam.createAccessKey({ userName });
  const mallory = allClients[0]!.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) });
  t.is((await failureOf(mallory.updateAlias({ aliasName: name, targetKeyId: own.keyId }))).exception, "AccessDeniedException", "moving it off a key it may not touch");
  t.is((await failureOf(mallory.deleteAlias({ aliasName: name }))).exception, "AccessDeniedException", "deleting it");
  t.is((await admin.describeKey({ keyId: name })).keyMetadata!.keyId, victim.keyId, "the alias still names the victim's key");
  const mine = aliasName("mine");
  await mallory.createAlias({ aliasName: mine, targetKeyId: own.keyId });
  await mallory.deleteAlias({ aliasName: mine });
});

test("UpdateAlias moves an alias between keys of one type and usage, whatever their specs, as in AWS", async (t) => {
  const admin = allClients[0]!.connect(server);
  const make = async (keySpec: KeySpec, keyUsage: KeyUsage) => (await admin.createKey({ keySpec, keyUsage })).keyMetadata!.keyId;
  const target = async (alias: string) => (await admin.describeKey({ keyId: alias })).keyMetadata!.keyId;
  const name = aliasName("specs");
  await admin.createAlias({ aliasName: name, targetKeyId: await make(KeySpec.RSA_2048, KeyUsage.SIGN_VERIFY) });
  const ecc = await make(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY);
  await admin.updateAlias({ aliasName: name, targetKeyId: ecc });
  t.is(await target(name), ecc, "RSA to ECC, both asymmetric signing keys");
  t.is((await failureOf(admin.updateAlias({ aliasName: name, targetKeyId: await make(KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT) }))).exception, "ValidationException", "another usage");
  t.is((await failureOf(admin.updateAlias({ aliasName: name, targetKeyId: await make(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC) }))).exception, "ValidationException", "another type");
  t.is(await target(name), ecc, "a refused move changes nothing");
  const mac = aliasName("mac");
  await admin.createAlias({ aliasName: mac, targetKeyId: await make(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC) });
  const hmac512 = await make(KeySpec.HMAC_512, KeyUsage.GENERATE_VERIFY_MAC);
  await admin.updateAlias({ aliasName: mac, targetKeyId: hmac512 });
  t.is(await target(mac), hmac512, "HMAC_256 to HMAC_512");
});

test("ListAliases lists only the caller's account: another account's key ARN is NotFoundException; pages hold 1-100, 50 by default, as in AWS", async (t) => {
  const admin = allClients[0]!.connect(server);
  const created = await identityClient(server.url, server.token).createAccount({ accountId: "444455556666" });
  const other = allClients[0]!.connect({ url: server.url, token: await login(server.url, created.adminAccessKey!.accessKeyId, created.adminAccessKey!.secretAccessKey) });
  const theirs = await newKey(other);
  t.is((await failureOf(admin.listAliases({ keyId: theirs.arn }))).exception, "NotFoundException");
  t.is((await failureOf(admin.listAliases({ keyId: theirs.arn.replace(theirs.keyId, randomUUID()) }))).exception, "NotFoundException", "the same as a key that does not exist");
  t.is((await failureOf(admin.listAliases({ limit: 101 }))).exception, "ValidationException");
  const key = await newKey(admin);
  for (let i = 0; i < 51; i++) await admin.createAlias({ aliasName: aliasName(`page${i}`), targetKeyId: (i < 50 ? key : await newKey(admin)).keyId });
  const page = await admin.listAliases({});
  t.is(page.aliases.length, 50);
  t.true(page.truncated);
});
