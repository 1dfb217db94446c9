import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { sealChunk } from "../client/envelope/chunk.js";
import { parseEnvelopeHeader } from "../client/envelope/index.js";
import { deriveMessageKeys } from "../client/envelope/key-schedule.js";
import { connectGrpc } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

const bin = fileURLToPath(new URL("../bin/kms.mjs", import.meta.url));
let server: TestServer;
let home: string;
test.before(async () => {
  server = await startTestServer();
  home = await mkdtemp(join(tmpdir(), "kms-cli-"));
});
test.after.always(async () => {
  await server?.destroy();
  await rm(home, { recursive: true, force: true });
});

/** Runs `kms ...` as a user would, with its session in a test directory; stdin optional. A run that hangs is killed, and its stderr says so. */
function kms(args: string[], options: { stdin?: Buffer | string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string; raw: Buffer }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, KMS_CLI_HOME: home, ...options.env }, timeout: 60_000 });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => {
      if (signal) stderr += `(test) kms ${args.join(" ")} was killed by ${signal}: it did not exit within 60 s`;
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr, raw: Buffer.concat(out) });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown> & Array<Record<string, unknown>>;

test.serial("not logged in: exit 3 with a one-line message; bad usage: exit 2", async (t) => {
  const r = await kms(["keys", "list"]);
  t.is(r.code, 3);
  t.regex(r.stderr, /^kms: not logged in/);
  t.is((await kms(["frobnicate"])).code, 2);
  t.is((await kms(["keys", "create", "--no-such-flag"])).code, 2);
  t.is((await kms([])).code, 2);
  t.regex((await kms(["help"])).stdout, /usage: kms/);
});

test.serial("a scripted session through every command group", async (t) => {
  const login = await kms(["login", "--endpoint", server.url, "--access-key-id", server.admin.access_key_id, "--output", "json"], { env: { KMS_SECRET_ACCESS_KEY: server.admin.secret_access_key } });
  t.is(login.code, 0, login.stderr);
  t.regex(String(json(login).principal), /:user\/admin$/);
  t.is((await stat(join(home, "session.json"))).mode & 0o777, 0o600);
  t.false((await readFile(join(home, "session.json"), "utf8")).includes(server.admin.secret_access_key), "the secret is not kept");
  t.regex((await kms(["whoami"])).stdout, /ARN\s+ACCOUNT/);

  const created = await kms(["keys", "create", "--description", "from the cli", "-o", "json"]);
  t.is(created.code, 0, created.stderr);
  const keyId = String(json(created).keyId);
  t.regex((await kms(["keys", "list"])).stdout, new RegExp(keyId));
  t.is(json(await kms(["keys", "describe", keyId, "-o", "json"])).description, "from the cli");
  t.is((await kms(["keys", "disable", keyId])).code, 0);
  t.is(json(await kms(["keys", "describe", keyId, "-o", "json"])).state, "DISABLED");
  t.is((await kms(["keys", "enable", keyId])).code, 0);
  t.is(json(await kms(["keys", "rotation", keyId, "--enable", "--period", "180", "-o", "json"])).periodDays, 180);
  t.is((await kms(["keys", "rotate", keyId])).code, 0);
  const signing = json(await kms(["keys", "create", "--spec", "ecc_nist_p256", "--usage", "sign_verify", "-o", "json"]));
  t.is(signing.spec, "ECC_NIST_P256");

  t.is((await kms(["aliases", "create", "alias/cli", keyId])).code, 0);
  t.true(json(await kms(["aliases", "list", "-o", "json"])).some((a) => a.alias === "alias/cli" && a.keyId === keyId));

  const policy = JSON.parse((await kms(["policy", "get", keyId])).stdout) as { Statement: unknown[] };
  policy.Statement.push({ Sid: "cli", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:Decrypt", Resource: "*" });
  const file = join(home, "policy.json");
  await writeFile(file, JSON.stringify(policy));
  t.is((await kms(["policy", "put", keyId, "--file", file])).code, 0);
  t.regex((await kms(["policy", "get", keyId])).stdout, /"Sid":\s*"cli"/);

  const grant = json(await kms(["grants", "create", keyId, "--grantee", "arn:aws:iam::111122223333:user/admin", "--operations", "Encrypt,Decrypt", "-o", "json"]));
  t.regex(String(grant.grantId), /^[0-9a-f]{64}$/);
  t.regex((await kms(["grants", "list", keyId])).stdout, /ENCRYPT,DECRYPT/);
  t.is((await kms(["grants", "revoke", keyId, String(grant.grantId)])).code, 0);

  const encrypted = await kms(["encrypt", "--key", "alias/cli", "--context", "app=cli"], { stdin: "a small secret" });
  t.is(encrypted.code, 0, encrypted.stderr);
  const decrypted = await kms(["decrypt", "--context", "app=cli"], { stdin: encrypted.stdout });
  t.is(decrypted.stdout, "a small secret");
  const wrong = await kms(["decrypt"], { stdin: encrypted.stdout });
  t.is(wrong.code, 1);
  t.regex(wrong.stderr, /^kms: InvalidCiphertextException: .*\(request [0-9a-f-]{36}\)\n$/);
  t.false(wrong.stderr.includes("    at "), "no stack trace");

  t.is((await kms(["aliases", "delete", "alias/cli"])).code, 0);
  const scheduled = json(await kms(["keys", "schedule-deletion", keyId, "--days", "7", "-o", "json"]));
  t.is(scheduled.state, "PENDING_DELETION");
  t.is((await kms(["keys", "cancel-deletion", keyId])).code, 0);
  const missing = await kms(["keys", "describe", "alias/none"]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /NotFoundException/);

  t.is((await kms(["logout"])).code, 0);
  t.is((await kms(["whoami"])).code, 3);
});

test.serial("envelope encrypt and decrypt a large file with a progress line, and through stdin and stdout", async (t) => {
  const login = await kms(["login", "--endpoint", server.url, "--access-key-id", server.admin.access_key_id], { env: { KMS_SECRET_ACCESS_KEY: server.admin.secret_access_key } });
  t.is(login.code, 0, login.stderr);
  const keyId = String(json(await kms(["keys", "create", "-o", "json"])).keyId);
  const west = String(json(await kms(["keys", "create", "--region", "eu-west-1", "-o", "json"])).keyId);
  const westArn = `arn:aws:kms:eu-west-1:111122223333:key/${west}`;
  const big = join(home, "big.bin");
  const data = Buffer.alloc(24 * 1024 * 1024 + 123);
  for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
  await writeFile(big, data);
  const sealed = await kms(["envelope", "encrypt", "--key", keyId, "--key", westArn, "--context", "file=big", "--in", big, "--out", `${big}.kms`, "--progress"]);
  t.is(sealed.code, 0, sealed.stderr);
  t.regex(sealed.stderr, /encrypting \[#{20}\] 100% 24\.0 MiB [\d.]+ MiB\/s/);
  const opened = await kms(["envelope", "decrypt", "--context", "file=big", "--in", `${big}.kms`, "--out", `${big}.out`, "--progress"]);
  t.is(opened.code, 0, opened.stderr);
  t.true((await readFile(`${big}.out`)).equals(data));
  const wrongContext = await kms(["envelope", "decrypt", "--context", "file=other", "--in", `${big}.kms`, "--out", `${big}.bad`]);
  t.is(wrongContext.code, 1);
  t.regex(wrongContext.stderr, /^kms: .*context/i);
  await t.throwsAsync(readFile(`${big}.bad`), undefined, "a refused message leaves no output file");
  const notAllowed = await kms(["envelope", "decrypt", "--key", "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000", "--context", "file=big", "--in", `${big}.kms`, "--out", `${big}.bad`]);
  t.is(notAllowed.code, 1, "no key of the allow-list wraps the data key");

  // A pipe: stdin to stdout, and back.
  const piped = await kms(["envelope", "encrypt", "--key", keyId, "--in", "-", "--out", "-"], { stdin: "through a pipe" });
  t.is(piped.code, 0, piped.stderr);
  t.is((await kms(["envelope", "decrypt", "--in", "-", "--out", "-"], { stdin: piped.raw })).stdout, "through a pipe");
  const unsignedRefused = await kms(["envelope", "decrypt", "--require-signature", "--in", "-", "--out", "-"], { stdin: piped.raw });
  t.is(unsignedRefused.code, 1);
  t.regex(unsignedRefused.stderr, /not signed/);
  // Signed: --sign writes it, --require-signature reads it.
  const signedPipe = await kms(["envelope", "encrypt", "--sign", "--key", keyId, "--in", "-", "--out", "-"], { stdin: "signed through a pipe" });
  t.is(signedPipe.code, 0, signedPipe.stderr);
  t.is((await kms(["envelope", "decrypt", "--require-signature", "--in", "-", "--out", "-"], { stdin: signedPipe.raw })).stdout, "signed through a pipe");

  // A reader who may only decrypt forges the first chunk of a signed message: with
  // --require-signature nothing reaches stdout before the signature is refused.
  const longSigned = await kms(["envelope", "encrypt", "--sign", "--key", keyId, "--in", big, "--out", "-"]);
  const { header, length } = parseEnvelopeHeader(longSigned.raw);
  const admin = connectGrpc.connect(server);
  const { plaintext: dataKey } = await admin.decrypt({ ciphertextBlob: header.encryptedDataKeys[0]!.ciphertextBlob, keyId: header.encryptedDataKeys[0]!.keyArn, encryptionContext: header.encryptionContext });
  const chunkKey = deriveMessageKeys(dataKey, header.messageId, header.suiteId).chunkKey;
  const firstChunk = 5 + header.chunkSize + 16;
  const forged = Buffer.concat([longSigned.raw.subarray(0, length), ...sealChunk(chunkKey, header.messageId, 0, false, Buffer.alloc(header.chunkSize, "FORGED ")), longSigned.raw.subarray(length + firstChunk)]);
  const refused = await kms(["envelope", "decrypt", "--require-signature", "--in", "-", "--out", "-"], { stdin: forged });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /signature/);
  t.is(refused.raw.length, 0, "no forged byte on stdout");

  // A rename that fails (--out is a directory) leaves no plaintext behind under the temporary name.
  const dir = join(home, "outdir");
  await mkdir(dir);
  const intoDir = await kms(["envelope", "decrypt", "--in", `${big}.kms`, "--context", "file=big", "--out", dir]);
  t.is(intoDir.code, 4);
  t.deepEqual((await readdir(home)).filter((name) => name.includes(".partial-")), [], "no partial file left");
});
