import http2 from "node:http2";
import test from "ava";
import { KeySpec } from "../gen/kms/v1/types_pb.js";
import { connectGrpc, connectJson, failureOf, grpcJs, type ClientKind } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

/** What a short session looks like from a client: results and exception names, comparable across servers. */
async function session(server: TestServer, kind: ClientKind) {
  const kms = kind.connect(server);
  const keyId = (await kms.createKey({ description: "same everywhere" })).keyMetadata!.keyId;
  const enc = await kms.encrypt({ keyId, plaintext: new Uint8Array([1, 2, 3]), encryptionContext: { a: "b" } });
  const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, encryptionContext: { a: "b" } });
  return {
    plaintext: [...dec.plaintext],
    wrongContext: await failureOf(kms.decrypt({ ciphertextBlob: enc.ciphertextBlob })),
    unknownKey: await failureOf(kms.describeKey({ keyId: "alias/none" })),
    badSpec: (await failureOf(kms.createKey({ keySpec: 999 as KeySpec }))).exception,
    anonymous: (await failureOf(kind.connect({ url: server.url }).listKeys({}))).exception,
  };
}

test("unary gRPC takes the fast path, and clients see exactly what connect-node gives them", async (t) => {
  const fast = await startTestServer();
  const slow = await startTestServer({ env: { KMS_GRPC_FAST_PATH: "off" } });
  t.teardown(async () => {
    await fast.destroy();
    await slow.destroy();
  });
  for (const kind of [connectGrpc, grpcJs]) {
    const [a, b] = [await session(fast, kind), await session(slow, kind)];
    t.deepEqual(a, b, kind.name);
    t.is(a.wrongContext.exception, "InvalidCiphertextException");
    t.is(a.anonymous, "MissingAuthenticationTokenException");
  }
  const transports = (server: TestServer) => new Set(server.logs.filter((l) => l.msg === "request").map((l) => l.transport));
  t.deepEqual(transports(fast), new Set(["grpc-fast-path"]));
  t.deepEqual(transports(slow), new Set(["connect-node"]));

  // The Connect protocol is never on the fast path.
  await connectJson.connect(fast).listKeys({});
  t.is(fast.logs.filter((l) => l.msg === "request").at(-1)?.transport, "connect-node");
});

test("a client that cancels in the middle of a request leaves the server serving, with nothing logged as an error", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  const session = http2.connect(server.url);
  const stream = session.request({ ":method": "POST", ":path": "/kms.v1.KeyManagementService/ListKeys", "content-type": "application/grpc", authorization: `Bearer ${server.token}` });
  stream.on("error", () => {});
  stream.write(Buffer.from([0, 0, 0, 0, 10, 1, 2])); // announces 10 bytes, sends 2
  await new Promise((r) => setTimeout(r, 50));
  stream.close(http2.constants.NGHTTP2_CANCEL);
  await new Promise((r) => setTimeout(r, 50));
  session.close();
  await t.notThrowsAsync(connectGrpc.connect(server).listKeys({}));
  t.false(server.logs.some((l) => Number(l.level) >= 50));
});
