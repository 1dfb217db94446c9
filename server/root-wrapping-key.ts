import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { unwrapKeyMaterial, wrapKeyMaterial } from "./crypto/key-wrapping.js";
import type { KvStore } from "./store/kv-store.js";

const ROOT_KEY_BYTES = 32;
const CHECK_RECORD = "root-key-check";
const CHECK_BINDING = { region: "*", keyId: CHECK_RECORD, version: 1 } as const;

/**
 * Loads the root key that wraps every key version, creating it (32 random bytes, base64, mode
 * 0600) on first start. The file is the one secret of a default installation: back it up
 * apart from the data directory.
 */
export async function loadOrCreateRootKey(path: string, log: Logger): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const key = randomBytes(ROOT_KEY_BYTES);
    await writeFile(path, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    log.info({ path }, "created a new root key");
    return key;
  }
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== ROOT_KEY_BYTES) throw new Error(`${path} does not hold a ${ROOT_KEY_BYTES}-byte base64 root key`);
  if (((await stat(path)).mode & 0o077) !== 0) log.warn({ path }, "the root key file is readable by group or others; chmod 600 it");
  return key;
}

/**
 * Makes sure the root key is the one this data directory was created with, so a wrong key
 * stops the server at start rather than failing every request later.
 */
export async function checkRootKey(meta: KvStore, rootKey: Buffer): Promise<void> {
  const stored = await meta.get(CHECK_RECORD);
  if (stored === undefined) {
    await meta.batch([{ type: "put", key: CHECK_RECORD, value: wrapKeyMaterial(rootKey, Buffer.alloc(32), CHECK_BINDING).toString("base64") }]);
    return;
  }
  try {
    unwrapKeyMaterial(rootKey, Buffer.from(stored, "base64"), CHECK_BINDING);
  } catch {
    throw new Error("the root key does not match this data directory (was KMS_ROOT_KEY_FILE changed?)");
  }
}
