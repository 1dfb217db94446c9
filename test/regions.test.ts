import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import test, { type ExecutionContext } from "ava";
import type { KeyListEntry } from "../gen/kms/v1/keys_pb.js";
import type { KeyMetadata } from "../gen/kms/v1/types_pb.js";
import { allClients, failureOf, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

const ACCOUNT = "111122223333";
const US = "us-east-1";
const EU = "eu-west-1";
const MESSAGE = "region test";
const plaintext = new TextEncoder().encode(MESSAGE);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The server of the default regions (us-east-1, eu-west-1) and one that serves only ap-south-1. */
let server: TestServer;
let southServer: TestServer;
test.before(async () => {
  [server, southServer] = await Promise.all([startTestServer(), startTestServer({ env: { KMS_REGIONS: "ap-south-1" } })]);
});
test.after.always(async () => {
  await Promise.all([server?.destroy(), southServer?.destroy()]);
});

function keyArn(region: string, keyId: string): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`;
}

function aliasArn(region: string, name: string): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:${name}`;
}

async function newKey(kms: KmsClient): Promise<KeyMetadata> {
  const { keyMetadata } = await kms.createKey({});
  if (!keyMetadata) throw new Error("CreateKey returned no key_metadata");
  return keyMetadata;
}

/** Every key of the client's region, following next_marker to the end. */
async function allKeys(kms: KmsClient): Promise<KeyListEntry[]> {
  const keys: KeyListEntry[] = [];
  let marker = "";
  for (let page = 0; page < 1000; page++) {
    const res = await kms.listKeys({ limit: 1000, marker });
    keys.push(...res.keys);
    if (!res.truncated) return keys;
    marker = res.nextMarker;
  }
  throw new Error("ListKeys never stopped being truncated");
}

/** Every alias name of the client's region. */
async function allAliasNames(kms: KmsClient): Promise<string[]> {
  const found: string[] = [];
  let marker = "";
  for (let page = 0; page < 1000; page++) {
    const res = await kms.listAliases({ limit: 100, marker });
    found.push(...res.aliases.map((a) => a.aliasName));
    if (!res.truncated) return found;
    marker = res.nextMarker;
  }
  throw new Error("ListAliases never stopped being truncated");
}

/** Asserts the call fails with the exception and gRPC code. */
async function assertFailure(t: ExecutionContext, call: Promise<unknown>, exception: string, code: Code, what: string): Promise<void> {
  const failure = await failureOf(call);
  t.is(failure.exception, exception, `${what}: ${failure.message}`);
  t.is(failure.code, code, `${what}: gRPC code`);
}

for (const kind of allClients) {
  test(`${kind.name}: key ARNs carry the region, and no header means the first region`, async (t) => {
    const byDefault = await newKey(kind.connect(server));
    const us = await newKey(kind.connect(server, US));
    const eu = await newKey(kind.connect(server, EU));
    t.is(byDefault.arn, keyArn(US, byDefault.keyId));
    t.is(us.arn, keyArn(US, us.keyId));
    t.is(eu.arn, keyArn(EU, eu.keyId));
    // The key made without a header is the us-east-1 key of the same id.
    t.is((await kind.connect(server, US).describeKey({ keyId: byDefault.keyId })).keyMetadata?.arn, byDefault.arn);
  });

  test(`${kind.name}: a key of us-east-1 is not found from eu-west-1`, async (t) => {
    const us = kind.connect(server, US);
    const eu = kind.connect(server, EU);
    const key = await newKey(us);
    await assertFailure(t, eu.describeKey({ keyId: key.keyId }), "NotFoundException", Code.NotFound, "DescribeKey by id");
    await assertFailure(t, eu.describeKey({ keyId: key.arn }), "NotFoundException", Code.NotFound, "DescribeKey by us-east-1 ARN");
    await assertFailure(t, eu.describeKey({ keyId: keyArn(EU, key.keyId) }), "NotFoundException", Code.NotFound, "DescribeKey by the id dressed as an eu-west-1 ARN");
    await assertFailure(t, eu.encrypt({ keyId: key.keyId, plaintext }), "NotFoundException", Code.NotFound, "Encrypt by id");
    await assertFailure(t, eu.disableKey({ keyId: key.keyId }), "NotFoundException", Code.NotFound, "DisableKey by id");
    await assertFailure(t, eu.scheduleKeyDeletion({ keyId: key.arn }), "NotFoundException", Code.NotFound, "ScheduleKeyDeletion by ARN");
    // Nothing done from eu-west-1 touched it.
    t.true((await us.describeKey({ keyId: key.keyId })).keyMetadata?.enabled);
  });

  test(`${kind.name}: aliases are per region, and one name can name a key in each`, async (t) => {
    const us = kind.connect(server, US);
    const eu = kind.connect(server, EU);
    const usKey = await newKey(us);
    const euKey = await newKey(eu);

    const onlyUs = `alias/only-us-${randomUUID()}`;
    await us.createAlias({ aliasName: onlyUs, targetKeyId: usKey.keyId });
    await assertFailure(t, eu.describeKey({ keyId: onlyUs }), "NotFoundException", Code.NotFound, "alias name from the other region");
    await assertFailure(t, eu.describeKey({ keyId: aliasArn(US, onlyUs) }), "NotFoundException", Code.NotFound, "alias ARN from the other region");
    await assertFailure(t, eu.deleteAlias({ aliasName: onlyUs }), "NotFoundException", Code.NotFound, "DeleteAlias from the other region");
    t.false((await allAliasNames(eu)).includes(onlyUs));

    const shared = `alias/shared-${randomUUID()}`;
    await us.createAlias({ aliasName: shared, targetKeyId: usKey.keyId });
    await eu.createAlias({ aliasName: shared, targetKeyId: euKey.keyId });
    t.is((await us.describeKey({ keyId: shared })).keyMetadata?.arn, usKey.arn);
    t.is((await eu.describeKey({ keyId: shared })).keyMetadata?.arn, euKey.arn);
    t.is((await us.encrypt({ keyId: shared, plaintext })).keyId, usKey.arn);
    t.is((await eu.encrypt({ keyId: aliasArn(EU, shared), plaintext })).keyId, euKey.arn);
    const [euEntry] = (await eu.listAliases({ keyId: euKey.keyId })).aliases;
    t.is(euEntry?.aliasArn, aliasArn(EU, shared));

    // Deleting it in one region leaves the other.
    await eu.deleteAlias({ aliasName: shared });
    await assertFailure(t, eu.describeKey({ keyId: shared }), "NotFoundException", Code.NotFound, "deleted in eu-west-1");
    t.is((await us.describeKey({ keyId: shared })).keyMetadata?.arn, usKey.arn);
  });

  test(`${kind.name}: a ciphertext of us-east-1 does not decrypt in eu-west-1`, async (t) => {
    const us = kind.connect(server, US);
    const eu = kind.connect(server, EU);
    const key = await newKey(us);
    const { ciphertextBlob } = await us.encrypt({ keyId: key.keyId, plaintext });
    await assertFailure(t, eu.decrypt({ ciphertextBlob }), "InvalidCiphertextException", Code.InvalidArgument, "Decrypt in eu-west-1");
    t.is(text((await us.decrypt({ ciphertextBlob })).plaintext), MESSAGE);
  });

  test(`${kind.name}: ListKeys lists only the region's own keys`, async (t) => {
    const us = kind.connect(server, US);
    const eu = kind.connect(server, EU);
    const usKeys = [await newKey(us), await newKey(us)];
    const euKeys = [await newKey(eu), await newKey(eu)];
    const usListed = await allKeys(us);
    const euListed = await allKeys(eu);
    const usIds = new Set(usListed.map((k) => k.keyId));
    const euIds = new Set(euListed.map((k) => k.keyId));
    for (const k of usKeys) t.true(usIds.has(k.keyId) && !euIds.has(k.keyId), `us-east-1 key ${k.keyId}`);
    for (const k of euKeys) t.true(euIds.has(k.keyId) && !usIds.has(k.keyId), `eu-west-1 key ${k.keyId}`);
    t.true(usListed.every((k) => k.keyArn === keyArn(US, k.keyId)), "every us-east-1 entry has a us-east-1 ARN");
    t.true(euListed.every((k) => k.keyArn === keyArn(EU, k.keyId)), "every eu-west-1 entry has an eu-west-1 ARN");
  });

  test(`${kind.name}: an unknown region is ValidationException, never the default region`, async (t) => {
    const existing = await newKey(kind.connect(server));
    const mars = kind.connect(server, "mars-north-9");
    // Each call would succeed in the default region.
    await assertFailure(t, mars.describeKey({ keyId: existing.keyId }), "ValidationException", Code.InvalidArgument, "DescribeKey");
    await assertFailure(t, mars.listKeys({}), "ValidationException", Code.InvalidArgument, "ListKeys");
    await assertFailure(t, mars.encrypt({ keyId: existing.keyId, plaintext }), "ValidationException", Code.InvalidArgument, "Encrypt");
    await assertFailure(t, mars.disableKey({ keyId: existing.keyId }), "ValidationException", Code.InvalidArgument, "DisableKey");
    t.true((await kind.connect(server).describeKey({ keyId: existing.keyId })).keyMetadata?.enabled, "the refused DisableKey changed nothing");

    // On a server of its own, a refused CreateKey leaves every region empty.
    const fresh = await startTestServer();
    try {
      await assertFailure(t, kind.connect(fresh, "mars-north-9").createKey({}), "ValidationException", Code.InvalidArgument, "CreateKey");
      t.deepEqual(await allKeys(kind.connect(fresh)), []);
      t.deepEqual(await allKeys(kind.connect(fresh, EU)), []);
    } finally {
      await fresh.destroy();
    }
  });

  test(`${kind.name}: a server configured with KMS_REGIONS=ap-south-1 defaults to it and refuses us-east-1`, async (t) => {
    const byDefault = kind.connect(southServer);
    const key = await newKey(byDefault);
    t.is(key.arn, keyArn("ap-south-1", key.keyId));
    t.is((await kind.connect(southServer, "ap-south-1").describeKey({ keyId: key.arn })).keyMetadata?.keyId, key.keyId);
    t.true((await allKeys(byDefault)).some((k) => k.keyId === key.keyId && k.keyArn === key.arn));
    await assertFailure(t, byDefault.describeKey({ keyId: keyArn(US, key.keyId) }), "NotFoundException", Code.NotFound, "us-east-1 ARN");

    const us = kind.connect(southServer, US);
    await assertFailure(t, us.createKey({}), "ValidationException", Code.InvalidArgument, "CreateKey in us-east-1");
    await assertFailure(t, us.describeKey({ keyId: key.keyId }), "ValidationException", Code.InvalidArgument, "DescribeKey in us-east-1");
  });
}
