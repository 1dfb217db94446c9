import { stat, writeFile, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import test from "ava";
import { KeyState } from "../gen/kms/v1/types_pb.js";
import { connectGrpc, grpcJs } from "./support/clients.js";
import { makeDataDir, startTestServer } from "./support/server.js";

test("keys, aliases and ciphertexts survive a restart on the same data directory", async (t) => {
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const first = await startTestServer({ dataDir });
  const kms = connectGrpc.connect(first);
  const { keyMetadata } = await kms.createKey({ description: "survives restarts" });
  await kms.createAlias({ aliasName: "alias/persistent", targetKeyId: keyMetadata!.keyId });
  const disabled = (await kms.createKey({})).keyMetadata!;
  await kms.disableKey({ keyId: disabled.keyId });
  const plaintext = randomBytes(100);
  const enc = await kms.encrypt({ keyId: "alias/persistent", plaintext, encryptionContext: { app: "restart" } });
  await first.close();

  const second = await startTestServer({ dataDir });
  t.teardown(() => second.close());
  const again = grpcJs.connect(second);
  const described = await again.describeKey({ keyId: "alias/persistent" });
  t.is(described.keyMetadata?.keyId, keyMetadata!.keyId);
  t.is(described.keyMetadata?.description, "survives restarts");
  t.is((await again.describeKey({ keyId: disabled.keyId })).keyMetadata?.keyState, KeyState.DISABLED);
  const dec = await again.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: { app: "restart" } });
  t.deepEqual(Buffer.from(dec.plaintext), plaintext);
});

test("the root key is created on first start as a 0600 file in the data directory", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  const info = await stat(join(server.dataDir, "root-key"));
  t.is(info.mode & 0o777, 0o600);
  t.is(info.size, 45); // 32 bytes in base64 and a newline
});

test("a server refuses to start with a root key that is not the data directory's", async (t) => {
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const first = await startTestServer({ dataDir });
  await first.close();
  const otherKey = join(dataDir, "other-root-key");
  await writeFile(otherKey, randomBytes(32).toString("base64") + "\n", { mode: 0o600 });
  await t.throwsAsync(startTestServer({ dataDir, env: { KMS_ROOT_KEY_FILE: otherKey } }), { message: /root key does not match this data directory/ });
  // The refused start released the store: the right key still opens it.
  const again = await startTestServer({ dataDir });
  t.teardown(() => again.close());
  t.truthy((await connectGrpc.connect(again).listKeys({})).keys);
});
