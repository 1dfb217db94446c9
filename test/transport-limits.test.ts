import { once } from "node:events";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { startTestServer } from "./support/server.js";

test("an HTTP/2 connection gets at most 100 requests at once, and a compressed body may not inflate past 4 MiB", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  const session = http2.connect(server.url);
  t.teardown(() => session.close());
  await once(session, "remoteSettings");
  t.is(session.remoteSettings.maxConcurrentStreams, 100);

  // 8 MiB of JSON that gzip makes a few KiB: refused while reading, before any interceptor.
  const bomb = gzipSync(Buffer.concat([Buffer.from('{"numberOfBytes": 1'), Buffer.alloc(8 * 1024 * 1024, " "), Buffer.from("}")]));
  t.true(bomb.length < 64 * 1024);
  const stream = session.request({ ":method": "POST", ":path": "/kms.v1.KeyManagementService/GenerateRandom", "content-type": "application/json", "content-encoding": "gzip", "connect-protocol-version": "1" });
  stream.end(bomb);
  const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
  const body: Buffer[] = [];
  for await (const piece of stream) body.push(piece as Buffer);
  t.not(headers[":status"], 200);
  t.is((JSON.parse(Buffer.concat(body).toString()) as { code: string }).code, "resource_exhausted");
});

test("an idle connection is closed, and so is a request still being sent on it, but a health Watch waiting for a change keeps its connection", async (t) => {
  const server = await startTestServer({ env: { KMS_CONNECTION_IDLE_SECONDS: "1" } });
  t.teardown(() => server.destroy());
  const transport = createGrpcTransport({ baseUrl: server.url });
  const abort = new AbortController();
  const updates: number[] = [];
  let watchEnded = false;
  const watching = (async () => {
    for await (const { status } of createClient(Health, transport).watch({ service: "" }, { signal: abort.signal })) updates.push(status);
  })()
    .catch((e: unknown) => e)
    .finally(() => (watchEnded = true));

  const idle = http2.connect(server.url);
  const halfSent = http2.connect(server.url);
  const stream = halfSent.request({ ":method": "POST", ":path": "/kms.v1.IdentityService/Login", "content-type": "application/grpc" });
  stream.write(Buffer.of(0, 0, 0, 0, 100)); // a message of 100 bytes announced, none sent
  const [idleClosed, streamClosed] = [once(idle, "close"), once(stream, "close")];
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await Promise.race([Promise.all([idleClosed, streamClosed]), new Promise((_, reject) => setTimeout(() => reject(new Error("not closed")), 5000))]);
  t.true(idle.closed || idle.destroyed, "the idle connection is closed");
  t.true(stream.destroyed || stream.closed, "the half-sent request is cut");
  t.deepEqual(updates, [1], "the Watch got its first answer");
  t.false(watchEnded, "the Watch is still open after its connection sat idle");
  abort.abort();
  const ended = await watching;
  t.true(ended instanceof ConnectError && ended.code === Code.Canceled, `the Watch ran until the client cancelled it (${String(ended)})`);
  halfSent.close();
});
