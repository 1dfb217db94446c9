import { Code } from "@connectrpc/connect";
import test from "ava";
import { connectGrpc, failureOf, kmsErrorOf } from "./support/clients.js";
import { startTestServer } from "./support/server.js";

test("past its per-account quota a family of operations is refused with ThrottlingException, in that region only, until the rate drops", async (t) => {
  let now = Date.now();
  const server = await startTestServer({ env: { KMS_QUOTA_SYMMETRIC: "5" }, clock: () => now });
  t.teardown(() => server.destroy());
  const kms = connectGrpc.connect(server);
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  const plaintext = new Uint8Array([1]);
  const outcomes: string[] = [];
  for (let i = 0; i < 8; i++) outcomes.push(await kms.encrypt({ keyId, plaintext }).then(() => "ok", (e: unknown) => kmsErrorOf(e).exception));
  t.deepEqual(outcomes, ["ok", "ok", "ok", "ok", "ok", "ThrottlingException", "ThrottlingException", "ThrottlingException"]);
  const throttled = await failureOf(kms.generateRandom({ numberOfBytes: 8 }));
  t.is(throttled.exception, "ThrottlingException");
  t.is(throttled.code, Code.ResourceExhausted);
  // Other families and other regions have their own buckets.
  await t.notThrowsAsync(kms.describeKey({ keyId }));
  await t.notThrowsAsync(connectGrpc.connect(server, "eu-west-1").generateRandom({ numberOfBytes: 8 }));
  now += 1000;
  await t.notThrowsAsync(kms.encrypt({ keyId, plaintext }));
});

test("beyond KMS_MAX_IN_FLIGHT requests are refused at once with ThrottlingException, and the server keeps serving", async (t) => {
  const server = await startTestServer({ env: { KMS_MAX_IN_FLIGHT: "2" } });
  t.teardown(() => server.destroy());
  const kms = connectGrpc.connect(server);
  const outcomes = await Promise.all(Array.from({ length: 60 }, () => kms.generateRandom({ numberOfBytes: 8 }).then(() => "ok", (e: unknown) => kmsErrorOf(e).exception)));
  t.true(outcomes.includes("ok"));
  t.true(outcomes.includes("ThrottlingException"));
  t.deepEqual(new Set(outcomes), new Set(["ok", "ThrottlingException"]));
  await t.notThrowsAsync(kms.generateRandom({ numberOfBytes: 8 }));
});
