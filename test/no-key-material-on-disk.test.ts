import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { DataKeySpec } from "../gen/kms/v1/types_pb.js";
import { Keyring } from "../server/store/keyring.js";
import { LevelRootStore } from "../server/store/level-store.js";
import { connectGrpc } from "./support/clients.js";
import { startTestServer } from "./support/server.js";

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The ways a secret could be written: raw, base64, hex. */
function forms(secret: Uint8Array): Buffer[] {
  const b = Buffer.from(secret);
  return [b, Buffer.from(b.toString("base64")), Buffer.from(b.toString("hex"))];
}

test("no key material, plaintext or data key appears in the raw LevelDB files", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  const kms = connectGrpc.connect(server);
  const keyIds: string[] = [];
  for (let i = 0; i < 5; i++) keyIds.push((await kms.createKey({})).keyMetadata!.keyId);
  const plaintext = new TextEncoder().encode("PLAINTEXT-THAT-MUST-NOT-BE-STORED-0b4f");
  await kms.encrypt({ keyId: keyIds[0]!, plaintext });
  const dataKey = await kms.generateDataKey({ keyId: keyIds[1]!, keySpec: DataKeySpec.AES_256 });
  await server.close();

  // Read the material back the only way it can be: unwrapped with the root key.
  const rootKey = Buffer.from((await readFile(join(server.dataDir, "root-key"), "utf8")).trim(), "base64");
  const store = await LevelRootStore.open(join(server.dataDir, "leveldb"));
  const materials: Uint8Array[] = [];
  try {
    const keyring = new Keyring(store.scope("regions").scope("us-east-1"), "us-east-1", rootKey);
    for (const id of keyIds) {
      const version = await keyring.openKeyVersion(id, 1);
      t.truthy(version, `key ${id} has version 1`);
      t.is(version!.material.length, 32);
      materials.push(version!.material);
    }
  } finally {
    await store.close();
  }

  const files = (await filesBelow(join(server.dataDir, "leveldb"))).filter((f) => !f.endsWith("LOCK"));
  t.true(files.length > 0);
  const contents = await Promise.all(files.map((f) => readFile(f)));
  for (const secret of [...materials, plaintext, dataKey.plaintext]) {
    for (const form of forms(secret)) {
      t.false(contents.some((c) => c.includes(form)), `a secret (${form.length} bytes) was found on disk`);
    }
  }
  // And the scan reads the real files: they hold the store (a key id may not appear verbatim
  // once LevelDB has compacted into snappy-compressed tables, so the check is on their size).
  t.true(contents.reduce((n, c) => n + c.length, 0) > 4096);
  t.true(files.some((f) => /\.(log|ldb)$/.test(f)));
});
