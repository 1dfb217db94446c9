import { once } from "node:events";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import test from "ava";
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
