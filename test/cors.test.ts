import { cors } from "@connectrpc/connect";
import test from "ava";
import { loadConfig } from "../server/config.js";
import { startTestServer, type TestServer } from "./support/server.js";

const APP = "https://app.example.com";
const DEV = "http://localhost:5173";
const OTHER = "https://evil.example.net";

let server: TestServer;
let plain: TestServer;
test.before(async () => {
  [server, plain] = await Promise.all([startTestServer({ env: { KMS_CORS_ORIGINS: `${APP}, ${DEV}` } }), startTestServer()]);
});
test.after.always(async () => {
  await Promise.all([server?.destroy(), plain?.destroy()]);
});

const RPC = "/kms.v1.KeyManagementService/GenerateRandom";

function preflight(base: TestServer, origin: string, requestHeaders = "content-type, connect-protocol-version, authorization, x-kms-region"): Promise<Response> {
  return fetch(`${base.url}${RPC}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": requestHeaders },
  });
}

/** A Connect unary call as Connect-web sends it from a page. */
function connectCall(base: TestServer, origin: string, token?: string): Promise<Response> {
  return fetch(`${base.url}${RPC}`, {
    method: "POST",
    headers: { origin, "content-type": "application/json", "connect-protocol-version": "1", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ numberOfBytes: 8 }),
  });
}

const list = (value: string | null) => (value ?? "").split(",").map((v) => v.trim().toLowerCase()).filter((v) => v !== "");

test("a preflight from an allowed origin is answered 204 with what Connect and gRPC-web need", async (t) => {
  for (const origin of [APP, DEV]) {
    const res = await preflight(server, origin);
    t.is(res.status, 204);
    t.is(res.headers.get("access-control-allow-origin"), origin);
    t.is(res.headers.get("access-control-allow-credentials"), "true");
    t.true(list(res.headers.get("vary")).includes("origin"));
    t.deepEqual(list(res.headers.get("access-control-allow-methods")).sort(), ["get", "post"]);
    const allowed = list(res.headers.get("access-control-allow-headers"));
    for (const header of [...cors.allowedHeaders, "content-type", "connect-protocol-version", "connect-timeout-ms", "x-grpc-web", "x-user-agent", "grpc-timeout", "authorization", "x-kms-region"]) {
      t.true(allowed.includes(header.toLowerCase()), header);
    }
    t.true(Number(res.headers.get("access-control-max-age")) > 0);
    t.is(await res.text(), "");
  }
});

test("a preflight from any other origin gets no CORS headers", async (t) => {
  for (const origin of [OTHER, "https://app.example.com.evil.net", "http://app.example.com", "null"]) {
    const res = await preflight(server, origin);
    t.not(res.status, 204, origin);
    t.is(res.headers.get("access-control-allow-origin"), null, origin);
    t.is(res.headers.get("access-control-allow-credentials"), null);
    t.is(res.headers.get("access-control-allow-methods"), null);
  }
});

test("an actual request from an allowed origin gets its origin echoed and the error headers exposed", async (t) => {
  const res = await connectCall(server, APP, server.token);
  t.is(res.status, 200);
  t.is(res.headers.get("access-control-allow-origin"), APP);
  t.is(res.headers.get("access-control-allow-credentials"), "true");
  t.true(list(res.headers.get("vary")).includes("origin"));
  const exposed = list(res.headers.get("access-control-expose-headers"));
  for (const header of [...cors.exposedHeaders, "grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id"]) t.true(exposed.includes(header.toLowerCase()), header);
  t.is(((await res.json()) as { plaintext: string }).plaintext.length > 0, true);
});

test("a failing Connect call from an allowed origin keeps the CORS headers, so the page can read the error", async (t) => {
  const res = await connectCall(server, DEV); // no credentials
  t.is(res.status, 401);
  t.is(res.headers.get("access-control-allow-origin"), DEV);
  t.true(list(res.headers.get("access-control-expose-headers")).includes("grpc-status-details-bin"));
  const body = (await res.json()) as { code: string; details: Array<{ type: string }> };
  t.is(body.code, "unauthenticated");
  t.is(body.details[0]?.type, "kms.v1.ErrorDetail");
});

test("a failing gRPC-web call from an allowed origin exposes grpc-status and grpc-message", async (t) => {
  const res = await fetch(`${server.url}${RPC}`, {
    method: "POST",
    headers: { origin: APP, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: new Uint8Array([0, 0, 0, 0, 2, 0x08, 0x08]), // one message: numberOfBytes 8
  });
  t.is(res.headers.get("access-control-allow-origin"), APP);
  const exposed = list(res.headers.get("access-control-expose-headers"));
  for (const header of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) t.true(exposed.includes(header));
  // The status travels in the headers when there is no message (trailers-only) or in the body's trailer frame.
  const status = res.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(Buffer.from(await res.arrayBuffer()).toString("latin1"))?.[1];
  t.is(status, "16"); // UNAUTHENTICATED
});

test("requests from other origins, or without one, get no CORS headers", async (t) => {
  for (const origin of [OTHER, undefined]) {
    const res = await fetch(`${server.url}${RPC}`, {
      method: "POST",
      headers: { ...(origin ? { origin } : {}), "content-type": "application/json", authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ numberOfBytes: 8 }),
    });
    t.is(res.status, 200); // served: only a browser withholds the answer
    t.is(res.headers.get("access-control-allow-origin"), null);
    t.is(res.headers.get("access-control-expose-headers"), null);
    t.is(res.headers.get("access-control-allow-credentials"), null);
  }
});

test("never a wildcard", async (t) => {
  const answers = [await preflight(server, APP), await connectCall(server, APP, server.token), await connectCall(server, APP), await preflight(server, OTHER), await fetch(`${server.url}/healthz`, { headers: { origin: APP } })];
  for (const res of answers) t.not(res.headers.get("access-control-allow-origin"), "*");
  t.throws(() => loadConfig({ KMS_CORS_ORIGINS: "*" }), { message: /KMS_CORS_ORIGINS/ });
  t.throws(() => loadConfig({ KMS_CORS_ORIGINS: "https://*.example.com" }), { message: /KMS_CORS_ORIGINS/ });
});

test("KMS_CORS_ORIGINS takes exact origins only", (t) => {
  t.deepEqual(loadConfig({}).corsOrigins, []);
  t.deepEqual(loadConfig({ KMS_CORS_ORIGINS: " https://a.example.com ,http://localhost:3000,," }).corsOrigins, ["https://a.example.com", "http://localhost:3000"]);
  for (const bad of ["https://a.example.com/", "https://a.example.com/app", "a.example.com", "ftp://a.example.com", "https://A.example.com"]) {
    t.throws(() => loadConfig({ KMS_CORS_ORIGINS: bad }), { message: /KMS_CORS_ORIGINS/ }, bad);
  }
});

test("with KMS_CORS_ORIGINS unset, CORS is off: no CORS headers, no preflight answer", async (t) => {
  const pre = await preflight(plain, APP);
  t.not(pre.status, 204);
  t.is(pre.headers.get("access-control-allow-origin"), null);
  const res = await connectCall(plain, APP, plain.token);
  t.is(res.status, 200);
  t.is(res.headers.get("access-control-allow-origin"), null);
  t.is(res.headers.get("vary"), null);
});
