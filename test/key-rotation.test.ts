import { randomBytes } from "node:crypto";
import test from "ava";
import { KeySpec, KeyUsage, RotationType } from "../gen/kms/v1/types_pb.js";
import { connectGrpc, failureOf, type KmsClient } from "./support/clients.js";
import { login, startTestServer, type TestServer } from "./support/server.js";

const DAY = 86_400_000;
let now = Date.parse("2027-01-01T00:00:00Z");
let server: TestServer;
test.before(async () => {
  server = await startTestServer({ clock: () => now });
});
test.after.always(async () => {
  await server?.destroy();
});

/** A client with a session made at the server's current (simulated) time. */
async function admin(): Promise<KmsClient> {
  return connectGrpc.connect({ url: server.url, token: await login(server.url, server.admin.access_key_id, server.admin.secret_access_key) });
}

test.serial("automatic rotation over simulated years: each period adds a version, and every version's ciphertexts still decrypt", async (t) => {
  let kms = await admin();
  const keyId = (await kms.createKey({ description: "rotates" })).keyMetadata!.keyId;
  t.false((await kms.getKeyRotationStatus({ keyId })).keyRotationEnabled);
  await kms.enableKeyRotation({ keyId, rotationPeriodInDays: 90 });
  const status = await kms.getKeyRotationStatus({ keyId });
  t.true(status.keyRotationEnabled);
  t.is(status.rotationPeriodInDays, 90);
  t.is(Number(status.nextRotationDate!.seconds) * 1000, now + 90 * DAY);

  const written: Array<{ plaintext: Buffer; blob: Uint8Array; materialId: string }> = [];
  for (let period = 0; period <= 5; period++) {
    if (period > 0) {
      now += 90 * DAY + 1000;
      t.deepEqual(await server.runScheduledWork(), { deleted: 0, rotated: 1 });
      kms = await admin();
    }
    const plaintext = randomBytes(40);
    const materialId = (await kms.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId;
    const blob = (await kms.encrypt({ keyId, plaintext, encryptionContext: { period: String(period) } })).ciphertextBlob;
    written.push({ plaintext, blob, materialId });
  }
  t.is(new Set(written.map((w) => w.materialId)).size, 6, "every period has its own key material");
  for (const [period, w] of written.entries()) {
    const decrypted = await kms.decrypt({ ciphertextBlob: w.blob, encryptionContext: { period: String(period) } });
    t.deepEqual(Buffer.from(decrypted.plaintext), w.plaintext);
    t.is(decrypted.keyMaterialId, w.materialId);
  }
  const rotations = (await kms.listKeyRotations({ keyId })).rotations;
  t.is(rotations.length, 5);
  t.true(rotations.every((r) => r.rotationType === RotationType.AUTOMATIC));
  t.deepEqual(rotations.map((r) => r.keyMaterialId), written.slice(1).map((w) => w.materialId));

  // ReEncrypt moves the oldest ciphertext to the current material without showing its plaintext.
  const moved = await kms.reEncrypt({ ciphertextBlob: written[0]!.blob, sourceEncryptionContext: { period: "0" }, destinationKeyId: keyId, destinationEncryptionContext: { period: "0" } });
  t.is(moved.sourceKeyMaterialId, written[0]!.materialId);
  t.is(moved.destinationKeyMaterialId, written[5]!.materialId);
  t.deepEqual(Buffer.from((await kms.decrypt({ ciphertextBlob: moved.ciphertextBlob, encryptionContext: { period: "0" } })).plaintext), written[0]!.plaintext);

  // Disabled rotation: time passes and nothing rotates.
  await kms.disableKeyRotation({ keyId });
  t.false((await kms.getKeyRotationStatus({ keyId })).keyRotationEnabled);
  now += 400 * DAY;
  t.deepEqual(await server.runScheduledWork(), { deleted: 0, rotated: 0 });
  kms = await admin();
  t.is((await kms.listKeyRotations({ keyId })).rotations.length, 5);
});

test.serial("a disabled key is not rotated when its date comes; it is once it is enabled again", async (t) => {
  let kms = await admin();
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  await kms.enableKeyRotation({ keyId, rotationPeriodInDays: 90 });
  await kms.disableKey({ keyId });
  now += 91 * DAY;
  t.deepEqual(await server.runScheduledWork(), { deleted: 0, rotated: 0 });
  kms = await admin();
  t.is((await kms.listKeyRotations({ keyId })).rotations.length, 0);
  await kms.enableKey({ keyId });
  now += 2 * DAY;
  t.is((await server.runScheduledWork()).rotated, 1);
  kms = await admin();
  t.is((await kms.listKeyRotations({ keyId })).rotations.length, 1);
});

test.serial("on-demand rotation: 25 per key, listed as ON_DEMAND, paged", async (t) => {
  const kms = await admin();
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  for (let i = 0; i < 25; i++) {
    now += 1000;
    t.regex((await kms.rotateKeyOnDemand({ keyId })).keyId, new RegExp(`${keyId}$`));
  }
  t.is((await failureOf(kms.rotateKeyOnDemand({ keyId }))).exception, "LimitExceededException");
  const first = await kms.listKeyRotations({ keyId, limit: 4 });
  t.true(first.truncated);
  const rest = await kms.listKeyRotations({ keyId, limit: 100, marker: first.nextMarker });
  const all = [...first.rotations, ...rest.rotations];
  t.is(all.length, 25);
  t.true(all.every((r) => r.rotationType === RotationType.ON_DEMAND));
  t.true(all.every((r, i) => i === 0 || r.rotationDate!.seconds >= all[i - 1]!.rotationDate!.seconds));
  t.is((await failureOf(kms.listKeyRotations({ keyId, marker: "bm90LWEtbWFya2Vy" }))).exception, "InvalidMarkerException");
});

test.serial("only symmetric encryption keys rotate; bad periods and unusable keys are refused", async (t) => {
  const kms = await admin();
  const signing = (await kms.createKey({ keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsage.SIGN_VERIFY })).keyMetadata!.keyId;
  const hmac = (await kms.createKey({ keySpec: KeySpec.HMAC_256, keyUsage: KeyUsage.GENERATE_VERIFY_MAC })).keyMetadata!.keyId;
  for (const keyId of [signing, hmac]) {
    t.is((await failureOf(kms.enableKeyRotation({ keyId }))).exception, "UnsupportedOperationException");
    t.is((await failureOf(kms.rotateKeyOnDemand({ keyId }))).exception, "UnsupportedOperationException");
    t.is((await failureOf(kms.listKeyRotations({ keyId }))).exception, "UnsupportedOperationException");
    t.false((await kms.getKeyRotationStatus({ keyId })).keyRotationEnabled);
  }
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  t.is((await failureOf(kms.enableKeyRotation({ keyId, rotationPeriodInDays: 89 }))).exception, "ValidationException");
  t.is((await failureOf(kms.enableKeyRotation({ keyId, rotationPeriodInDays: 2561 }))).exception, "ValidationException");
  await kms.enableKeyRotation({ keyId });
  t.is((await kms.getKeyRotationStatus({ keyId })).rotationPeriodInDays, 365);
  await kms.disableKey({ keyId });
  t.is((await failureOf(kms.rotateKeyOnDemand({ keyId }))).exception, "DisabledException");
  t.is((await failureOf(kms.enableKeyRotation({ keyId }))).exception, "DisabledException");
});

test.serial("a key pending deletion reports rotation off, as in AWS; cancelling the deletion brings its status back", async (t) => {
  const kms = await admin();
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  await kms.enableKeyRotation({ keyId, rotationPeriodInDays: 180 });
  await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  const pending = await kms.getKeyRotationStatus({ keyId });
  t.false(pending.keyRotationEnabled);
  t.is(pending.rotationPeriodInDays, undefined);
  await kms.cancelKeyDeletion({ keyId });
  const back = await kms.getKeyRotationStatus({ keyId });
  t.true(back.keyRotationEnabled);
  t.is(back.rotationPeriodInDays, 180);
});
