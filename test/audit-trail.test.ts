import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test from "ava";
import type { KvOperation, KvStore } from "../server/store/kv-store.js";
import { LevelRootStore } from "../server/store/level-store.js";
import { connectGrpc, failureOf } from "./support/clients.js";
import { auditClient, identityClient, login, makeDataDir, startTestServer } from "./support/server.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs `npm run audit:verify` on a data directory. */
async function verifyCli(dataDir: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run("npm", ["run", "--silent", "audit:verify"], { cwd: root, env: { ...process.env, KMS_DATA_DIR: dataDir } });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

test("every request is recorded: allowed, denied and unauthenticated, with the deciding statement and no secrets", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  const kms = connectGrpc.connect(server);
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  const keyArn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`;
  const plaintext = new TextEncoder().encode("AUDIT-MUST-NOT-SEE-THIS");
  const enc = await kms.encrypt({ keyId, plaintext, encryptionContext: { order: "42" } });

  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "nobody" });
  const { accessKey } = await iam.createAccessKey({ userName: "nobody" });
  const nobodyToken = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  const denied = await failureOf(connectGrpc.connect({ url: server.url, token: nobodyToken }).decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: { order: "42" } }));
  t.is(denied.exception, "AccessDeniedException");
  t.is((await failureOf(connectGrpc.connect({ url: server.url, token: "kms1.not.valid" }).listKeys({}))).exception, "UnrecognizedClientException");

  const audit = auditClient(server.url, server.token);
  const { records } = await audit.listAuditRecords({ limit: 1000 });
  const encrypt = records.find((r) => r.rpc === "kms.v1.KeyManagementService/Encrypt");
  t.like(encrypt, { principal: server.admin.principal_arn, decision: "allow", outcome: "ok", region: "us-east-1", encryptionContext: { order: "42" } });
  t.deepEqual(encrypt?.access.map((a) => [a.action, a.resource]), [["kms:Encrypt", keyArn]]);
  t.true(encrypt!.access[0]!.decidedBy.some((d) => d.startsWith("key-policy statement 0")));
  t.regex(encrypt!.sourceIp, /127\.0\.0\.1/);

  const deny = records.find((r) => r.rpc === "kms.v1.KeyManagementService/Decrypt" && r.decision === "deny");
  t.truthy(deny);
  t.is(deny!.principal, "arn:aws:iam::111122223333:user/nobody");
  t.is(deny!.outcome, "AccessDeniedException");
  t.regex(deny!.reason, /kms:Decrypt/);
  const unauthenticated = records.find((r) => r.outcome === "UnrecognizedClientException");
  t.like(unauthenticated, { decision: "none", principal: "" });

  const text = JSON.stringify(records, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  for (const secret of [Buffer.from(plaintext).toString("base64"), "AUDIT-MUST-NOT-SEE-THIS", Buffer.from(enc.ciphertextBlob).toString("base64"), nobodyToken, server.token, accessKey!.secretAccessKey]) {
    t.false(text.includes(secret));
  }

  const byKey = await audit.listAuditRecords({ resource: keyArn, limit: 1000 });
  t.true(byKey.records.length >= 2);
  t.true(byKey.records.every((r) => r.access.some((a) => a.resource === keyArn)));
  const byPrincipal = await audit.listAuditRecords({ principal: "arn:aws:iam::111122223333:user/nobody", limit: 1000 });
  t.true(byPrincipal.records.length >= 1);
  t.true(byPrincipal.records.every((r) => r.principal === "arn:aws:iam::111122223333:user/nobody"));

  const noAudit = auditClient(server.url, nobodyToken);
  t.is((await failureOf(noAudit.listAuditRecords({}))).exception, "AccessDeniedException");
});

test("the chain verifies, and a record altered on disk is found by npm run audit:verify and by VerifyAuditTrail", async (t) => {
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const first = await startTestServer({ dataDir });
  const kms = connectGrpc.connect(first);
  for (let i = 0; i < 3; i++) await kms.createKey({ description: `key ${i}` });
  const intact = await auditClient(first.url, first.token).verifyAuditTrail({});
  t.true(intact.intact);
  t.true(intact.recordsChecked >= 4n);
  await first.close();

  const good = await verifyCli(dataDir);
  t.is(good.code, 0);
  t.regex(good.stdout, /audit trail intact: \d+ records/);

  // Tamper: rewrite who made the third request, keeping the record well-formed.
  const store = await LevelRootStore.open(join(dataDir, "leveldb"));
  const scope = store.scope("audit");
  await rewriteRecords(scope, (record) => (record.seq === 3 ? [{ ...record, principal: "arn:aws:iam::111122223333:user/someone-else" }] : [record]));
  await store.close();

  const broken = await verifyCli(dataDir);
  t.is(broken.code, 1);
  t.regex(broken.stdout, /BROKEN at record 3: its contents do not match its hash/);

  const second = await startTestServer({ dataDir });
  t.teardown(() => second.close());
  const check = await auditClient(second.url, second.token).verifyAuditTrail({});
  t.false(check.intact);
  t.is(check.firstBrokenSeq, 3n);
});

test("a record removed from the middle of the chain is found", async (t) => {
  const dataDir = await makeDataDir();
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const server = await startTestServer({ dataDir });
  await connectGrpc.connect(server).createKey({});
  await connectGrpc.connect(server).listKeys({});
  await server.close();
  const store = await LevelRootStore.open(join(dataDir, "leveldb"));
  await rewriteRecords(store.scope("audit"), (record) => (record.seq === 2 ? [] : [record]));
  await store.close();
  const result = await verifyCli(dataDir);
  t.is(result.code, 1);
  t.regex(result.stdout, /BROKEN at record 3: expected record 2/);
  t.truthy(await readFile(join(dataDir, "root-key")));
});

/** Rewrites the stored audit groups record by record, as someone with the disk could. */
async function rewriteRecords(scope: KvStore, change: (record: { seq: number }) => object[]): Promise<void> {
  const groups = await scope.range({ gte: "g/", lt: "g0" });
  if (groups.length === 0) throw new Error("the trail is stored in groups under g/");
  await scope.batch(
    groups.map(([key, value]): KvOperation => {
      const lines = value.split("\n").flatMap((line) => change(JSON.parse(line) as { seq: number }).map((r) => JSON.stringify(r)));
      return lines.length > 0 ? { type: "put", key, value: lines.join("\n") } : { type: "del", key };
    }),
  );
}

test("an account reads only its own records, and only the operator's account checks the chain; an oversized encryption context is not recorded", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  const kms = connectGrpc.connect(server);
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  await kms.encrypt({ keyId, plaintext: new Uint8Array([1]), encryptionContext: { employee: "alice" } });
  const created = await identityClient(server.url, server.token).createAccount({ accountId: "444455556666" });
  const tenantToken = await login(server.url, created.adminAccessKey!.accessKeyId, created.adminAccessKey!.secretAccessKey);
  const tenant = connectGrpc.connect({ url: server.url, token: tenantToken });
  await tenant.createKey({ description: "the tenant's" });
  const seen = (await auditClient(server.url, tenantToken).listAuditRecords({ limit: 1000 })).records;
  t.true(seen.length > 0);
  t.true(seen.every((r) => r.principal.includes(":444455556666:") || r.access.some((a) => a.resource.includes(":444455556666:"))), "only records about the tenant's account");
  t.false(seen.some((r) => r.encryptionContext.employee === "alice"));
  t.true((await auditClient(server.url, server.token).listAuditRecords({ limit: 1000 })).records.some((r) => r.encryptionContext.employee === "alice"), "the operator's account reads all");
  t.is((await failureOf(auditClient(server.url, tenantToken).verifyAuditTrail({}))).exception, "AccessDeniedException");
  t.true((await auditClient(server.url, server.token).verifyAuditTrail({})).intact);

  // A forged token and a huge context: refused, recorded, but without the context.
  const huge = { big: "x".repeat(100_000) };
  t.is((await failureOf(connectGrpc.connect({ url: server.url, token: "kms1.0.forged" }).encrypt({ keyId, plaintext: new Uint8Array([1]), encryptionContext: huge }))).exception, "UnrecognizedClientException");
  const last = (await auditClient(server.url, server.token).listAuditRecords({ limit: 1000 })).records.at(-1)!;
  t.is(last.outcome, "UnrecognizedClientException");
  t.deepEqual(last.encryptionContext, {});
});
