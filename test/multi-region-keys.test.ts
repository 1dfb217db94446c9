import { randomBytes } from "node:crypto";
import test from "ava";
import { KeyState, MultiRegionKeyType } from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, failureOf, kmsErrorOf, type KmsClient } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

const DAY = 86_400_000;
let now = Date.parse("2027-02-01T00:00:00Z");
let server: TestServer;
test.before(async () => {
  server = await startTestServer({ clock: () => now });
});
test.after.always(async () => {
  await server?.destroy();
});

/** Clients for each region, with a session made at the server's current (simulated) time. */
async function regions(kind = connectGrpc): Promise<{ east: KmsClient; west: KmsClient }> {
  const token = await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  return { east: kind.connect({ url: server.url, token }, "us-east-1"), west: kind.connect({ url: server.url, token }, "eu-west-1") };
}

for (const kind of allClients) {
  test.serial(`${kind.name}: a multi-Region key replicated to another region decrypts there what was encrypted here, and back`, async (t) => {
    const { east, west } = await regions(kind);
    const created = (await east.createKey({ multiRegion: true, description: "primary", tags: [{ tagKey: "home", tagValue: "east" }] })).keyMetadata!;
    t.regex(created.keyId, /^mrk-[0-9a-f]{32}$/);
    t.true(created.multiRegion);
    t.is(created.multiRegionConfiguration?.multiRegionKeyType, MultiRegionKeyType.PRIMARY);
    const replicated = await east.replicateKey({ keyId: created.keyId, replicaRegion: "eu-west-1", description: "replica", tags: [{ tagKey: "home", tagValue: "west" }] });
    const replica = replicated.replicaKeyMetadata!;
    t.is(replica.keyId, created.keyId);
    t.is(replica.arn, created.arn.replace(":us-east-1:", ":eu-west-1:"));
    t.is(replica.description, "replica");
    t.is(replica.multiRegionConfiguration?.multiRegionKeyType, MultiRegionKeyType.REPLICA);
    t.is(replica.multiRegionConfiguration?.primaryKey?.region, "us-east-1");
    t.deepEqual(replicated.replicaTags.map((x) => x.tagValue), ["west"]);
    t.regex(replicated.replicaPolicy, /"Version"/);

    const described = (await east.describeKey({ keyId: created.keyId })).keyMetadata!;
    t.deepEqual(described.multiRegionConfiguration?.replicaKeys.map((r) => r.region), ["eu-west-1"]);
    t.is(described.description, "primary");
    t.deepEqual((await west.listResourceTags({ keyId: created.keyId })).tags.map((x) => x.tagValue), ["west"]);

    const plaintext = randomBytes(64);
    const fromEast = await east.encrypt({ keyId: created.keyId, plaintext, encryptionContext: { crossing: "yes" } });
    t.deepEqual(Buffer.from((await west.decrypt({ ciphertextBlob: fromEast.ciphertextBlob, encryptionContext: { crossing: "yes" } })).plaintext), plaintext);
    const fromWest = await west.encrypt({ keyId: created.keyId, plaintext });
    t.deepEqual(Buffer.from((await east.decrypt({ ciphertextBlob: fromWest.ciphertextBlob })).plaintext), plaintext);
  });
}

test.serial("a normal key's ciphertext means nothing in another region; replicas cannot be replicated; one replica per region", async (t) => {
  const { east, west } = await regions();
  const normal = (await east.createKey({})).keyMetadata!.keyId;
  const blob = (await east.encrypt({ keyId: normal, plaintext: new Uint8Array([1]) })).ciphertextBlob;
  t.is((await failureOf(west.decrypt({ ciphertextBlob: blob }))).exception, "InvalidCiphertextException");
  t.is((await failureOf(east.replicateKey({ keyId: normal, replicaRegion: "eu-west-1" }))).exception, "UnsupportedOperationException");

  const mrk = (await east.createKey({ multiRegion: true })).keyMetadata!.keyId;
  await east.replicateKey({ keyId: mrk, replicaRegion: "eu-west-1" });
  t.is((await failureOf(east.replicateKey({ keyId: mrk, replicaRegion: "eu-west-1" }))).exception, "AlreadyExistsException");
  t.is((await failureOf(west.replicateKey({ keyId: mrk, replicaRegion: "us-east-1" }))).exception, "UnsupportedOperationException");
  t.is((await failureOf(east.replicateKey({ keyId: mrk, replicaRegion: "ap-south-9" }))).exception, "ValidationException");
  t.is((await failureOf(east.replicateKey({ keyId: mrk, replicaRegion: "us-east-1" }))).exception, "ValidationException");
  t.is((await failureOf(west.enableKeyRotation({ keyId: mrk }))).exception, "UnsupportedOperationException");
});

test.serial("rotating the primary gives the replica the same new material; UpdatePrimaryRegion swaps the roles", async (t) => {
  const { east, west } = await regions();
  const keyId = (await east.createKey({ multiRegion: true })).keyMetadata!.keyId;
  await east.replicateKey({ keyId, replicaRegion: "eu-west-1" });
  await east.rotateKeyOnDemand({ keyId });
  const eastMaterial = (await east.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId;
  t.is((await west.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId, eastMaterial);
  const blob = (await west.encrypt({ keyId, plaintext: new Uint8Array([7]) })).ciphertextBlob;
  t.deepEqual([...(await east.decrypt({ ciphertextBlob: blob })).plaintext], [7]);

  await east.enableKeyRotation({ keyId, rotationPeriodInDays: 90 });
  await east.updatePrimaryRegion({ keyId, primaryRegion: "eu-west-1" });
  t.is((await west.describeKey({ keyId })).keyMetadata!.multiRegionConfiguration?.multiRegionKeyType, MultiRegionKeyType.PRIMARY);
  t.is((await east.describeKey({ keyId })).keyMetadata!.multiRegionConfiguration?.primaryKey?.region, "eu-west-1");
  t.true((await west.getKeyRotationStatus({ keyId })).keyRotationEnabled);
  t.is((await failureOf(east.rotateKeyOnDemand({ keyId }))).exception, "UnsupportedOperationException");
  // The automatic rotation now runs from the new primary and reaches the old one.
  now += 91 * DAY;
  t.is((await server.runScheduledWork()).rotated, 1);
  const after = await regions();
  const rotated = (await after.west.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId;
  t.not(rotated, eastMaterial);
  t.is((await after.east.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId, rotated);
});

test.serial("a primary scheduled for deletion waits for its replicas (PendingReplicaDeletion), then its own window runs", async (t) => {
  let { east, west } = await regions();
  const keyId = (await east.createKey({ multiRegion: true })).keyMetadata!.keyId;
  await east.replicateKey({ keyId, replicaRegion: "eu-west-1" });
  const primary = await east.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  t.is(primary.keyState, KeyState.PENDING_REPLICA_DELETION);
  t.is(primary.deletionDate, undefined);
  await west.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  now += 8 * DAY;
  t.is((await server.runScheduledWork()).deleted, 1, "the replica only");
  ({ east, west } = await regions());
  t.is((await failureOf(west.describeKey({ keyId }))).exception, "NotFoundException");
  const waiting = (await east.describeKey({ keyId })).keyMetadata!;
  t.is(waiting.keyState, KeyState.PENDING_DELETION);
  t.is(Number(waiting.deletionDate!.seconds) * 1000, now + 7 * DAY);
  now += 8 * DAY;
  t.is((await server.runScheduledWork()).deleted, 1);
  ({ east } = await regions());
  t.is((await failureOf(east.describeKey({ keyId }))).exception, "NotFoundException");
});

test.serial("changes that span regions, made at once from both regions, all complete (one lock order)", async (t) => {
  const { east, west } = await regions();
  const keyId = (await east.createKey({ multiRegion: true })).keyMetadata!.keyId;
  await east.replicateKey({ keyId, replicaRegion: "eu-west-1" });
  for (let round = 0; round < 5; round++) {
    // The primary alternates: each round, a rotation from one side and a role swap from the other.
    const [primary, replica, primaryRegion] = round % 2 === 0 ? [east, west, "eu-west-1"] : [west, east, "us-east-1"];
    const results = await Promise.allSettled([primary.rotateKeyOnDemand({ keyId }), primary.updatePrimaryRegion({ keyId, primaryRegion }), replica.describeKey({ keyId })]);
    // A rotation that runs after the swap finds a replica and is refused; nothing else may fail.
    const outcomes = results.map((r) => (r.status === "fulfilled" ? "fulfilled" : kmsErrorOf(r.reason).exception));
    t.true(["fulfilled", "UnsupportedOperationException"].includes(outcomes[0]!), `round ${round}: ${JSON.stringify(outcomes)}`);
    t.deepEqual(outcomes.slice(1), ["fulfilled", "fulfilled"], `round ${round}`);
  }
  const [a, b] = await Promise.all([east.describeKey({ keyId }), west.describeKey({ keyId })]);
  t.is(a.keyMetadata!.currentKeyMaterialId, b.keyMetadata!.currentKeyMaterialId, "both copies hold the same current material");
});

test.serial("a RotateKeyOnDemand that waits behind UpdatePrimaryRegion finds the key a replica, and nothing hangs", async (t) => {
  const { east, west } = await regions();
  const keyId = (await east.createKey({ multiRegion: true })).keyMetadata!.keyId;
  await east.replicateKey({ keyId, replicaRegion: "eu-west-1" });
  for (let round = 0; round < 4; round++) {
    const [primary, otherRegion] = round % 2 === 0 ? [east, "eu-west-1"] : [west, "us-east-1"];
    // The swap is asked for first; the rotation, read before it and run after it, must not lock
    // its own region twice (which once hung it and every later change of the key).
    const swap = primary.updatePrimaryRegion({ keyId, primaryRegion: otherRegion }, { timeoutMs: 10_000 });
    const rotation = await failureOf(primary.rotateKeyOnDemand({ keyId }, { timeoutMs: 10_000 })).catch(() => undefined);
    await swap;
    if (rotation) t.is(rotation.exception, "UnsupportedOperationException", `round ${round}: ${rotation.message}`);
  }
  await t.notThrowsAsync(west.describeKey({ keyId }, { timeoutMs: 10_000 }));
  await t.notThrowsAsync(east.tagResource({ keyId, tags: [{ tagKey: "after", tagValue: "swaps" }] }, { timeoutMs: 10_000 }));
});

test.serial("a key of another account cannot be replicated or have its primary region moved, whatever its policy allows", async (t) => {
  const { east } = await regions();
  const keyId = (await east.createKey({ multiRegion: true })).keyMetadata!.keyId;
  const foreign = `arn:aws:kms:us-east-1:444455556666:key/${keyId}`;
  t.is((await failureOf(east.replicateKey({ keyId: foreign, replicaRegion: "eu-west-1" }))).exception, "NotFoundException");
  t.is((await failureOf(east.updatePrimaryRegion({ keyId: foreign, primaryRegion: "eu-west-1" }))).exception, "NotFoundException");
});

test.serial("ReplicateKey needs kms:CreateKey, and with tags kms:TagResource, by IAM policy in the replica region", async (t) => {
  const { east: admin } = await regions();
  // A session made at the server's simulated time (its own token has expired by now).
  const iam = identityClient(server.url, await login(server.url, server.admin.access_key_id, server.admin.secret_access_key));
  await iam.createUser({ userName: "replicator" });
  const allow = async (...statements: object[]) =>
    iam.putUserPolicy({ userName: "replicator", policyName: "replicate", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:ReplicateKey", Resource: "*" }, ...statements] }) });
  const createIn = (region: string) => ({ Effect: "Allow", Action: "kms:CreateKey", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": region } } });
  const { accessKey } = await iam.createAccessKey({ userName: "replicator" });
  const user = connectGrpc.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) }, "us-east-1");
  const keyId = (await admin.createKey({ multiRegion: true })).keyMetadata!.keyId;
  const replicas = async () => (await admin.describeKey({ keyId })).keyMetadata!.multiRegionConfiguration!.replicaKeys.map((r) => r.region);

  await allow();
  const withoutCreate = await failureOf(user.replicateKey({ keyId, replicaRegion: "eu-west-1" }));
  t.is(withoutCreate.exception, "AccessDeniedException");
  t.regex(withoutCreate.message, /kms:CreateKey on resource: \*/);
  // kms:CreateKey in the request's own region is not kms:CreateKey in the replica region.
  await allow(createIn("us-east-1"));
  t.is((await failureOf(user.replicateKey({ keyId, replicaRegion: "eu-west-1" }))).exception, "AccessDeniedException");
  t.deepEqual(await replicas(), [], "a refused ReplicateKey made no replica");

  await allow(createIn("eu-west-1"));
  const withTags = await failureOf(user.replicateKey({ keyId, replicaRegion: "eu-west-1", tags: [{ tagKey: "team", tagValue: "a" }] }));
  t.is(withTags.exception, "AccessDeniedException");
  t.regex(withTags.message, /kms:TagResource/);
  t.deepEqual(await replicas(), []);
  await t.notThrowsAsync(user.replicateKey({ keyId, replicaRegion: "eu-west-1" }));
  t.deepEqual(await replicas(), ["eu-west-1"]);
});

test.serial("a disabled key is neither replicated nor moved to another region (DisabledException), and nothing changes", async (t) => {
  const { east, west } = await regions();
  const keyId = (await east.createKey({ multiRegion: true })).keyMetadata!.keyId;
  await east.disableKey({ keyId });
  t.is((await failureOf(east.replicateKey({ keyId, replicaRegion: "eu-west-1" }))).exception, "DisabledException");
  t.is((await failureOf(west.describeKey({ keyId }))).exception, "NotFoundException");
  await east.enableKey({ keyId });
  await east.replicateKey({ keyId, replicaRegion: "eu-west-1" });
  await west.disableKey({ keyId });
  t.is((await failureOf(east.updatePrimaryRegion({ keyId, primaryRegion: "eu-west-1" }))).exception, "DisabledException", "the replica is disabled");
  await west.enableKey({ keyId });
  await east.disableKey({ keyId });
  t.is((await failureOf(east.updatePrimaryRegion({ keyId, primaryRegion: "eu-west-1" }))).exception, "DisabledException", "the primary is disabled");
  t.is((await east.describeKey({ keyId })).keyMetadata!.multiRegionConfiguration!.multiRegionKeyType, MultiRegionKeyType.PRIMARY, "the roles are unchanged");
});
