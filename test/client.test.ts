import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import test from "ava";
import { createKmsClient, KmsServiceError } from "../client/node.js";
import { tokenSource } from "../client/credentials.js";
import { backoffMs, retryable } from "../client/retry-policy.js";
import { startTestServer, type TestServer } from "./support/server.js";

let now = Date.now();
let server: TestServer;
test.before(async () => {
  server = await startTestServer({ clock: () => now });
});
test.after.always(async () => {
  await server?.destroy();
});

const credentials = () => ({ accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key });
const bytes = new TextEncoder().encode("typed");

for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
  test(`${protocol}: createKmsClient logs in with an access key and its typed clients work end to end`, async (t) => {
    const client = createKmsClient({ baseUrl: server.url, protocol, credentials: credentials() });
    t.regex((await client.identity.getCallerIdentity({})).arn, /:user\/admin$/);
    const keyId = (await client.kms.createKey({ description: `via ${protocol}` })).keyMetadata!.keyId;
    const { ciphertextBlob } = await client.kms.encrypt({ keyId, plaintext: bytes, encryptionContext: { p: protocol } });
    t.deepEqual((await client.kms.decrypt({ ciphertextBlob, encryptionContext: { p: protocol } })).plaintext, bytes);
    const error = await t.throwsAsync(client.kms.describeKey({ keyId: "alias/none" }), { instanceOf: KmsServiceError });
    t.is(error.exception, "NotFoundException");
    t.is(error.code, Code.NotFound);
    t.true(error instanceof ConnectError, "still a ConnectError for code that handles those");
    t.regex(error.requestId ?? "", /^[0-9a-f-]{36}$/);
  });
}

test.serial("the region option and forRegion reach another region's keyring", async (t) => {
  const west = createKmsClient({ baseUrl: server.url, credentials: credentials(), region: "eu-west-1" });
  const keyId = (await west.kms.createKey({})).keyMetadata!.keyId;
  t.regex((await west.kms.describeKey({ keyId })).keyMetadata!.arn, /:eu-west-1:/);
  const east = west.forRegion("us-east-1");
  t.is((await t.throwsAsync(east.kms.describeKey({ keyId }), { instanceOf: KmsServiceError })).exception, "NotFoundException");
});

test.serial("a session is renewed before it expires, and an expired one is renewed once and the call made again", async (t) => {
  let clientClock = now;
  const client = createKmsClient({ baseUrl: server.url, credentials: { ...credentials(), sessionSeconds: 900 }, now: () => clientClock });
  const logins = () => server.logs.filter((l) => l.rpc === "Login" && l.outcome === "ok").length;
  await client.kms.listKeys({});
  const first = logins();
  now += 100_000;
  clientClock = now;
  await client.kms.listKeys({});
  t.is(logins(), first, "still fresh: no new login");
  now += 650_000; // 750 s into a 900 s session: within the last fifth, renewed before use
  clientClock = now;
  await client.kms.listKeys({});
  t.is(logins(), first + 1);
  // The client's clock lags: it believes its token fresh, the server says it expired.
  now += 2_000_000;
  await client.kms.listKeys({});
  t.is(logins(), first + 2, "ExpiredTokenException made it log in again and repeat the call");
});

test.serial("a late refusal of an old session token does not throw away the session that replaced it", async (t) => {
  const tokens = tokenSource({ ...credentials(), sessionSeconds: 900 }, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }), () => 0);
  const logins = () => server.logs.filter((l) => l.rpc === "Login" && l.outcome === "ok").length;
  const old = await tokens.token();
  const first = logins();
  // Two calls sent with the old token are refused; the first refusal's renewal ends before the second arrives.
  tokens.invalidate(old);
  const renewed = await tokens.token();
  tokens.invalidate(old);
  t.is(await tokens.token(), renewed);
  t.is(logins(), first + 1);
  tokens.invalidate(renewed);
  t.not(await tokens.token(), renewed, "a refusal of the current token still renews it");
});

test("throttled calls are retried with backoff until they go through", async (t) => {
  const throttled = await startTestServer({ env: { KMS_QUOTA_SYMMETRIC: "5" } });
  t.teardown(() => throttled.destroy());
  const admin = { accessKeyId: throttled.admin.access_key_id, secretAccessKey: throttled.admin.secret_access_key };
  const patient = createKmsClient({ baseUrl: throttled.url, credentials: admin, retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 800 } });
  const keyId = (await patient.kms.createKey({})).keyMetadata!.keyId;
  const results = await Promise.all(Array.from({ length: 15 }, () => patient.kms.encrypt({ keyId, plaintext: bytes })));
  t.is(results.length, 15);
  const hasty = createKmsClient({ baseUrl: throttled.url, credentials: admin, retry: { maxAttempts: 1 } });
  const outcomes = await Promise.allSettled(Array.from({ length: 15 }, () => hasty.kms.encrypt({ keyId, plaintext: bytes })));
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  t.true(refused.length > 0);
  t.true(refused.every((o) => o.reason instanceof KmsServiceError && o.reason.exception === "ThrottlingException"));
});

test("retry policy: a refused call is always retried; one that may have run only if repeating it changes nothing", (t) => {
  const error = (code: Code, exception: string) => Object.assign(Object.create(KmsServiceError.prototype) as KmsServiceError, { code, exception });
  t.true(retryable("CreateKey", error(Code.ResourceExhausted, "ThrottlingException")));
  t.true(retryable("Encrypt", error(Code.Unavailable, "Unavailable")));
  t.false(retryable("CreateKey", error(Code.Unavailable, "Unavailable")));
  t.false(retryable("CreateGrant", error(Code.Internal, "KMSInternalException")));
  t.false(retryable("Encrypt", error(Code.NotFound, "NotFoundException")));
  const delays = Array.from({ length: 8 }, (_, i) => backoffMs(i + 1, { baseDelayMs: 50, maxDelayMs: 2000 }, () => 1));
  t.deepEqual(delays, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
  t.is(backoffMs(3, {}, () => 0), 0, "full jitter: anywhere from zero");
});
