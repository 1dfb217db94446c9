import { rm } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { GrantOperation, KeyState } from "../gen/kms/v1/types_pb.js";
import { LevelRootStore } from "../server/store/level-store.js";
import { connectGrpc, failureOf, type KmsClient } from "./support/clients.js";
import { auditClient, login, makeDataDir, startTestServer, type TestServer } from "./support/server.js";

const DAY = 86_400_000;

/** A client with a session made at the server's current (simulated) time. */
async function adminOf(server: TestServer): Promise<KmsClient> {
  return connectGrpc.connect({ url: server.url, token: await login(server.url, server.admin.access_key_id, server.admin.secret_access_key) });
}

/** Every key and value under a region's keyring, read straight from LevelDB. */
async function keyringRows(dataDir: string): Promise<Array<[string, string]>> {
  const store = await LevelRootStore.open(join(dataDir, "leveldb"));
  try {
    return await store.scope("regions").range({});
  } finally {
    await store.close();
  }
}

test("at its deletion date, across a restart, a key is destroyed: material, aliases and grants gone from the store", async (t) => {
  let now = Date.parse("2027-03-01T00:00:00Z");
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  let server = await startTestServer({ dataDir, clock: () => now });
  let kms = await adminOf(server);
  const keyId = (await kms.createKey({ description: "doomed" })).keyMetadata!.keyId;
  await kms.rotateKeyOnDemand({ keyId });
  await kms.createAlias({ aliasName: "alias/doomed", targetKeyId: keyId });
  await kms.createGrant({ keyId, granteePrincipal: "arn:aws:iam::111122223333:user/someone", operations: [GrantOperation.DECRYPT] });
  const blob = (await kms.encrypt({ keyId, plaintext: new Uint8Array([1, 2, 3]) })).ciphertextBlob;
  const survivor = (await kms.createKey({ description: "stays" })).keyMetadata!.keyId;
  const scheduled = await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  t.is(Number(scheduled.deletionDate!.seconds) * 1000, now + 7 * DAY);
  await server.close();

  // What the key left on disk before its date: its record and two wrapped versions.
  const before = await keyringRows(dataDir);
  const wrapped = before.filter(([k]) => k.includes(`/v/${keyId}/`)).map(([, v]) => (JSON.parse(v) as { wrappedMaterial: string }).wrappedMaterial);
  t.is(wrapped.length, 2);

  // Six days on: still pending.
  now += 6 * DAY;
  server = await startTestServer({ dataDir, clock: () => now });
  await server.runScheduledWork();
  kms = await adminOf(server);
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_DELETION);
  await server.close();

  // Past the date while the server is down: the first pass after the restart destroys it.
  now += 2 * DAY;
  server = await startTestServer({ dataDir, clock: () => now });
  await server.runScheduledWork();
  kms = await adminOf(server);
  t.is((await failureOf(kms.describeKey({ keyId }))).exception, "NotFoundException");
  t.is((await failureOf(kms.describeKey({ keyId: "alias/doomed" }))).exception, "NotFoundException");
  t.is((await failureOf(kms.decrypt({ ciphertextBlob: blob }))).exception, "InvalidCiphertextException");
  t.false((await kms.listAliases({})).aliases.some((a) => a.aliasName === "alias/doomed"));
  t.false((await kms.listKeys({})).keys.some((k) => k.keyId === keyId));
  t.is((await kms.describeKey({ keyId: survivor })).keyMetadata!.keyState, KeyState.ENABLED);
  await server.close();

  const after = await keyringRows(dataDir);
  t.deepEqual(after.filter(([k]) => k.includes(keyId)), [], "no record mentions the key");
  t.false(after.some(([, v]) => wrapped.some((w) => v.includes(w))), "no wrapped material of the key remains");
  t.true(after.some(([k]) => k.includes(survivor)));
});

test("CancelKeyDeletion before the date leaves the key Disabled, and the date passing does nothing", async (t) => {
  let now = Date.parse("2027-06-01T00:00:00Z");
  const server = await startTestServer({ clock: () => now });
  t.teardown(() => server.destroy());
  let kms = await adminOf(server);
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  await kms.cancelKeyDeletion({ keyId });
  now += 30 * DAY;
  t.deepEqual(await server.runScheduledWork(), { deleted: 0, rotated: 0 });
  kms = await adminOf(server);
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.DISABLED);
});

test("scheduled work is in the audit trail as the service's own", async (t) => {
  let now = Date.parse("2027-09-01T00:00:00Z");
  const server = await startTestServer({ clock: () => now });
  t.teardown(() => server.destroy());
  const kms = await adminOf(server);
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  now += 8 * DAY;
  t.is((await server.runScheduledWork()).deleted, 1);
  const logLine = server.logs.find((l) => l.msg === "scheduled work done" && l.keyId === keyId);
  t.is(logLine?.outcome, "deleted");
  const token = await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  const audit = auditClient(server.url, token);
  const records = (await audit.listAuditRecords({ limit: 1000 })).records;
  const deletion = records.find((r) => r.rpc === "kms.v1.KeyManagementService/DeleteKey");
  t.is(deletion?.principal, "kms:scheduler");
  t.true(deletion?.access.some((a) => a.resource.endsWith(`key/${keyId}`)));
  t.true((await audit.verifyAuditTrail({})).intact);
});

test("expired sessions are swept from the store by the scheduler, so it does not grow with every login", async (t) => {
  let now = Date.parse("2027-05-01T00:00:00Z");
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const server = await startTestServer({ dataDir, clock: () => now });
  for (let i = 0; i < 3; i++) await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  now += 13 * 60 * 60 * 1000; // past the longest session
  const fresh = await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  await server.runScheduledWork();
  t.truthy((await connectGrpc.connect({ url: server.url, token: fresh }).listKeys({})).keys, "the live session still works");
  await server.close();
  const store = await LevelRootStore.open(join(dataDir, "leveldb"));
  try {
    const keys = (await store.scope("identity").range({})).map(([key]) => key);
    t.is(keys.filter((k) => k.startsWith("sess/")).length, 1, "only the live session is left");
    t.is(keys.filter((k) => k.startsWith("sexp/")).length, 1, "and its entry in the expiry index");
  } finally {
    await store.close();
  }
});
