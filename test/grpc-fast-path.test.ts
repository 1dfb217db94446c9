import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import { CreateKeyRequestSchema } from "../gen/kms/v1/keys_pb.js";
import { KeySpec } from "../gen/kms/v1/types_pb.js";
import { connectGrpc, connectJson, failureOf, grpcJs, type ClientKind } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

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

test("a call whose client resets the stream right after its body is not run, so it can never run without its source address", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  // A user whose CreateKey is denied from loopback, the only address this test can call from.
  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "remote-only" });
  const document = { Version: "2012-10-17", Statement: [
    { Effect: "Allow", Action: "kms:CreateKey", Resource: "*" },
    { Effect: "Deny", Action: "kms:CreateKey", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } } },
  ] };
  await iam.putUserPolicy({ userName: "remote-only", policyName: "p", policyDocument: JSON.stringify(document) });
  const { accessKey } = await iam.createAccessKey({ userName: "remote-only" });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  t.is((await failureOf(connectGrpc.connect({ url: server.url, token }).createKey({}))).exception, "AccessDeniedException");

  const admin = connectGrpc.connect(server);
  const keysBefore = (await admin.listKeys({})).keys.length;
  const body = Buffer.from(toBinary(CreateKeyRequestSchema, create(CreateKeyRequestSchema, { description: "reset" })));
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
  for (let i = 0; i < 3; i++) {
    const session = http2.connect(server.url);
    const stream = session.request({ ":method": "POST", ":path": "/kms.v1.KeyManagementService/CreateKey", "content-type": "application/grpc", authorization: `Bearer ${token}` });
    stream.on("error", () => {});
    // The whole message, then RST_STREAM NO_ERROR instead of END_STREAM.
    stream.write(frame, () => stream.close(http2.constants.NGHTTP2_NO_ERROR));
    await new Promise((resolve) => stream.once("close", resolve));
    session.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is((await admin.listKeys({})).keys.length, keysBefore, "no key was created by a reset call");
});
