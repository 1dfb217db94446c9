import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import { rm } from "node:fs/promises";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { AuditService } from "../gen/kms/v1/audit_service_pb.js";
import { HealthState } from "../server/services/health/health-service.js";
import { createHealthzHandler } from "../server/transport/healthz.js";
import { createHttpListener } from "../server/transport/http-listener.js";
import { startTestServer, type TestServer } from "./support/server.js";

const SERVICES = ["", "kms.v1.KeyManagementService", "kms.v1.IdentityService", "kms.v1.AuditService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

/** The transports a health client may use: gRPC over HTTP/2 (the fast path for Check) and Connect over HTTP/1.1. */
const transports: Array<[string, (url: string) => Transport]> = [
  ["grpc", (url) => createGrpcTransport({ baseUrl: url })],
  ["connect-http1", (url) => createConnectTransport({ baseUrl: url, httpVersion: "1.1" })],
];

/** Reads the first `n` messages of a Watch, then cancels it. */
async function watchFirst(transport: Transport, service: string, n = 1): Promise<Status[]> {
  const abort = new AbortController();
  const seen: Status[] = [];
  try {
    for await (const { status } of createClient(Health, transport).watch({ service }, { signal: abort.signal })) {
      seen.push(status);
      if (seen.length === n) abort.abort();
    }
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Canceled) throw e;
  }
  return seen;
}

for (const [name, transport] of transports) {
  test(`${name}: Check answers SERVING for the server and every service, without credentials`, async (t) => {
    const health = createClient(Health, transport(server.url));
    for (const service of SERVICES) t.is((await health.check({ service })).status, Status.SERVING, service);
  });

  test(`${name}: Check of an unknown service is NOT_FOUND`, async (t) => {
    const error = await t.throwsAsync(createClient(Health, transport(server.url)).check({ service: "kms.v1.Nope" }));
    t.is(ConnectError.from(error).code, Code.NotFound);
  });

  test(`${name}: Watch sends the current status at once, per service; an unknown one is SERVICE_UNKNOWN`, async (t) => {
    for (const service of SERVICES) t.deepEqual(await watchFirst(transport(server.url), service), [Status.SERVING], service);
    t.deepEqual(await watchFirst(transport(server.url), "kms.v1.Nope"), [Status.SERVICE_UNKNOWN]);
  });
}

test("GET and HEAD /healthz over HTTP/1.1: 200 with a tiny JSON body; other methods 405", async (t) => {
  const get = await fetch(`${server.url}/healthz`);
  t.is(get.status, 200);
  t.is(get.headers.get("content-type"), "application/json");
  t.is(get.headers.get("cache-control"), "no-store");
  t.deepEqual(await get.json(), { status: "SERVING" });
  const head = await fetch(`${server.url}/healthz`, { method: "HEAD" });
  t.is(head.status, 200);
  t.is(await head.text(), "");
  t.is((await fetch(`${server.url}/healthz?probe=lb`)).status, 200);
  const post = await fetch(`${server.url}/healthz`, { method: "POST" });
  t.is(post.status, 405);
  t.is(post.headers.get("allow"), "GET, HEAD");
  t.is((await fetch(`${server.url}/nothing-here`)).status, 404);
});

/** One request over HTTP/2 with prior knowledge. */
async function h2Request(url: string, path: string, method = "GET"): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  const session = http2.connect(url);
  try {
    const stream = session.request({ ":path": path, ":method": method });
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    let body = "";
    stream.setEncoding("utf8");
    for await (const chunk of stream) body += chunk as string;
    return { status: Number(headers[":status"]), headers, body };
  } finally {
    session.close();
  }
}

test("GET /healthz over HTTP/2", async (t) => {
  const answer = await h2Request(server.url, "/healthz");
  t.is(answer.status, 200);
  t.is(answer.headers["content-type"], "application/json");
  t.deepEqual(JSON.parse(answer.body), { status: "SERVING" });
  const head = await h2Request(server.url, "/healthz", "HEAD");
  t.is(head.status, 200);
  t.is(head.body, "");
});

test("health checks are not audited", async (t) => {
  await createClient(Health, createGrpcTransport({ baseUrl: server.url })).check({});
  await watchFirst(createGrpcTransport({ baseUrl: server.url }), "");
  await fetch(`${server.url}/healthz`);
  const audit = createClient(AuditService, createGrpcTransport({ baseUrl: server.url, interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${server.token}`), next(req))] }));
  const { records } = await audit.listAuditRecords({ limit: 1000 });
  t.true(records.length > 0);
  t.false(records.some((r) => r.rpc.startsWith("grpc.health.")));
});

test("/healthz follows the health state: 503 NOT_SERVING once draining, over HTTP/1.1 and HTTP/2", async (t) => {
  const state = new HealthState();
  const listener = createHttpListener(createHealthzHandler(() => state.serving));
  const { port } = await listener.listen("127.0.0.1", 0);
  t.teardown(() => listener.close(100));
  const url = `http://127.0.0.1:${port}`;
  t.is((await fetch(`${url}/healthz`)).status, 200);
  state.drain();
  const h1 = await fetch(`${url}/healthz`);
  t.is(h1.status, 503);
  t.is(h1.headers.get("connection"), "close");
  t.deepEqual(await h1.json(), { status: "NOT_SERVING" });
  const h2 = await h2Request(url, "/healthz");
  t.is(h2.status, 503);
  t.deepEqual(JSON.parse(h2.body), { status: "NOT_SERVING" });
});

test("a graceful close: Watch streams get NOT_SERVING and end, a probe during the close gets 503, and close does not wait on them", async (t) => {
  const own = await startTestServer();
  let closed = false;
  t.teardown(() => (closed ? rm(own.dataDir, { recursive: true, force: true }) : own.destroy()));
  // Watches over gRPC (HTTP/2) and Connect (HTTP/1.1), each seen SERVING first.
  const watches = transports.map(([, transport]) => watch(transport(own.url), "kms.v1.KeyManagementService"));
  const unknown = watch(createGrpcTransport({ baseUrl: own.url }), "kms.v1.Nope");
  await Promise.all([...watches, unknown].map((w) => w.first));

  // A long request on an HTTP/1.1 connection: its body is not all there yet, so the close must
  // wait for it; the load balancer's probe follows on the same connection while the server drains.
  const socket = net.connect(own.port, "127.0.0.1");
  await once(socket, "connect");
  const socketClosed = once(socket, "close");
  let received = "";
  socket.setEncoding("latin1").on("data", (chunk: string) => (received += chunk));
  // "100 Continue" says the server has the request and is working on it.
  socket.write("POST /kms.v1.KeyManagementService/GenerateRandom HTTP/1.1\r\nHost: kms\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  while (!received.includes("100 Continue")) await once(socket, "data");

  const started = Date.now();
  const closing = own.close();
  socket.write("{}GET /healthz HTTP/1.1\r\nHost: kms\r\n\r\n");
  await closing;
  closed = true;
  t.true(Date.now() - started < 5_000, `close took ${Date.now() - started} ms`);

  for (const seen of await Promise.all(watches.map((w) => w.all))) t.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);
  t.deepEqual(await unknown.all, [Status.SERVICE_UNKNOWN]);
  await socketClosed;
  const responses = received.split(/(?=HTTP\/1\.1 )/).filter((r) => !r.startsWith("HTTP/1.1 100 "));
  t.is(responses.length, 2, received);
  t.regex(responses[0]!, /^HTTP\/1\.1 401 /); // the long request: no credentials
  t.regex(responses[1]!, /^HTTP\/1\.1 503 /);
  t.true(responses[1]!.endsWith('{"status":"NOT_SERVING"}'));
});

/** A Watch left open: `first` when its first message came, `all` its messages once the server ends it. */
function watch(transport: Transport, service: string): { first: Promise<void>; all: Promise<Status[]> } {
  let first = () => {};
  const firstSeen = new Promise<void>((resolve) => (first = resolve));
  const all = (async () => {
    const seen: Status[] = [];
    for await (const { status } of createClient(Health, transport).watch({ service })) {
      seen.push(status);
      first();
    }
    return seen;
  })();
  return { first: Promise.race([firstSeen, all.then(() => undefined)]), all };
}
