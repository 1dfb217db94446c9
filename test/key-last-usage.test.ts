import { rm } from "node:fs/promises";
import test from "ava";
import { connectGrpc, failureOf } from "./support/clients.js";
import { auditClient, makeDataDir, startTestServer } from "./support/server.js";

test("GetKeyLastUsage reports the last successful cryptographic use, names its audit record, and survives a restart", async (t) => {
  let now = Date.parse("2027-05-01T10:00:00Z");
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const server = await startTestServer({ dataDir, clock: () => now });
  const kms = connectGrpc.connect(server);
  const created = (await kms.createKey({})).keyMetadata!;
  const other = (await kms.createKey({})).keyMetadata!.keyId;
  const fresh = await kms.getKeyLastUsage({ keyId: created.keyId });
  t.is(fresh.keyId, created.arn);
  t.deepEqual(fresh.keyCreationDate, created.creationDate);
  t.is(fresh.keyLastUsage, undefined, "never used yet");

  now += 60_000;
  const blob = (await kms.encrypt({ keyId: created.keyId, plaintext: new Uint8Array([1]), encryptionContext: { a: "b" } })).ciphertextBlob;
  let usage = (await kms.getKeyLastUsage({ keyId: created.keyId })).keyLastUsage!;
  t.is(usage.operation, "Encrypt");
  t.is(Number(usage.timestamp!.seconds) * 1000, now);
  const audit = auditClient(server.url, server.token);
  const record = (await audit.listAuditRecords({ limit: 1000 })).records.find((r) => r.requestId === usage.kmsRequestId);
  t.is(record?.rpc, "kms.v1.KeyManagementService/Encrypt");
  t.is(usage.cloudTrailEventId, usage.kmsRequestId);

  // Neither a read, nor a failed call, nor a dry run counts as a use.
  now += 60_000;
  await kms.describeKey({ keyId: created.keyId });
  await failureOf(kms.decrypt({ ciphertextBlob: blob }));
  await failureOf(kms.encrypt({ keyId: created.keyId, plaintext: new Uint8Array([1]), dryRun: true }));
  t.is((await kms.getKeyLastUsage({ keyId: created.keyId })).keyLastUsage!.operation, "Encrypt");

  now += 60_000;
  await kms.reEncrypt({ ciphertextBlob: blob, sourceEncryptionContext: { a: "b" }, destinationKeyId: other });
  for (const keyId of [created.keyId, other]) {
    usage = (await kms.getKeyLastUsage({ keyId })).keyLastUsage!;
    t.is(usage.operation, "ReEncrypt");
    t.is(Number(usage.timestamp!.seconds) * 1000, now);
  }
  t.is((await failureOf(kms.getKeyLastUsage({ keyId: "alias/anything" }))).exception, "NotFoundException", "an id or ARN only, as in AWS");
  await server.close();

  const again = await startTestServer({ dataDir, clock: () => now });
  t.teardown(() => again.close());
  t.is((await connectGrpc.connect(again).getKeyLastUsage({ keyId: other })).keyLastUsage?.operation, "ReEncrypt");
});
