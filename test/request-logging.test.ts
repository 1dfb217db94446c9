import { ConnectError } from "@connectrpc/connect";
import test from "ava";
import { ErrorDetailSchema } from "../gen/kms/v1/error_pb.js";
import { DataKeySpec } from "../gen/kms/v1/types_pb.js";
import { connectGrpc, failureOf } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer({ logLevel: "debug" });
});
test.after.always(async () => {
  await server?.destroy();
});

const requestLines = () => server.logs.filter((l) => l.msg === "request" || l.msg === "request failed");

/** Every form a byte string could take in a JSON log. */
function renderings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [b.toString("base64"), b.toString("base64url"), b.toString("hex"), ...(b.every((c) => c >= 0x20 && c < 0x7f) ? [b.toString("latin1")] : [])];
}

test.serial("plaintext, ciphertext and data keys never reach the log, even at debug level", async (t) => {
  const kms = connectGrpc.connect(server);
  const plaintext = new TextEncoder().encode("PLAINTEXT-MARKER-7f3a9c");
  const { keyMetadata } = await kms.createKey({});
  const enc = await kms.encrypt({ keyId: keyMetadata!.keyId, plaintext, encryptionContext: { tenant: "acme" } });
  const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: { tenant: "acme" } });
  const dataKey = await kms.generateDataKey({ keyId: keyMetadata!.keyId, keySpec: DataKeySpec.AES_256 });
  const random = await kms.generateRandom({ numberOfBytes: 32 });
  t.deepEqual(dec.plaintext, plaintext);

  const raw = server.rawLogs();
  for (const secret of [plaintext, enc.ciphertextBlob, dataKey.plaintext, dataKey.ciphertextBlob, random.plaintext]) {
    for (const form of renderings(secret)) t.false(raw.includes(form), `log contains ${form.slice(0, 12)}...`);
  }
  const bodies = server.logs.filter((l) => l.msg === "request body" && l.rpc === "Encrypt");
  t.is(bodies.length, 1);
  t.like(bodies[0], { request: { plaintext: "[REDACTED]", encryption_context: { tenant: "acme" } } });
});

test.serial("one line per request with request id, RPC, region, outcome and latency", async (t) => {
  const kms = connectGrpc.connect(server, "eu-west-1");
  const before = requestLines().length;
  let requestId = "";
  await kms.generateRandom({ numberOfBytes: 4 }, { onHeader: (h) => (requestId = h.get("x-request-id") ?? "") });
  const lines = requestLines().slice(before);
  t.is(lines.length, 1);
  t.like(lines[0], { requestId, rpc: "GenerateRandom", region: "eu-west-1", outcome: "ok" });
  t.is(typeof lines[0]!.latencyMs, "number");
});

test.serial("a failed request logs its exception name, and its error detail carries the logged request id", async (t) => {
  const kms = connectGrpc.connect(server);
  const before = requestLines().length;
  const error = await t.throwsAsync(kms.describeKey({ keyId: "alias/does-not-exist" }));
  const detail = ConnectError.from(error).findDetails(ErrorDetailSchema)[0];
  t.is(detail?.exception, "NotFoundException");
  const lines = requestLines().slice(before);
  t.is(lines.length, 1);
  t.like(lines[0], { rpc: "DescribeKey", outcome: "NotFoundException", requestId: detail?.requestId });
});

test.serial("an unknown region is refused with a typed error, logged, and nothing else runs (chain order)", async (t) => {
  const kms = connectGrpc.connect(server, "mars-north-9");
  const before = requestLines().length;
  const failure = await failureOf(kms.createKey({}));
  t.is(failure.exception, "ValidationException");
  t.regex(failure.message, /unknown region/);
  const lines = requestLines().slice(before);
  t.like(lines[0], { rpc: "CreateKey", outcome: "ValidationException", region: undefined });
});
