import { request, type IncomingHttpHeaders } from "node:http";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import test, { type ExecutionContext } from "ava";
import { startTestServer, type TestServer } from "./support/server.js";

// The AWS JSON 1.1 endpoint on the wire: raw HTTP/1.1 requests, signed with @smithy/signature-v4
// (the signer of the AWS SDK for JavaScript, which the server's verifier also uses) or not signed
// at all. Every answer must be AWS's framing: x-amzn-RequestId, content-type
// application/x-amz-json-1.1, errors as {"__type", "message"} with AWS's HTTP status, never a 500
// for bad input, and the server serving the next request.

/** The server's clock runs with real time, shifted by `skew` (a frozen clock would count every request in one second of the rate quotas). */
let skew = 0;
const now = () => Date.now() + skew;
let server: TestServer;
test.before(async () => {
  server = await startTestServer({ clock: now });
});
test.after.always(async () => {
  await server?.destroy();
});

const CONTENT_TYPE = "application/x-amz-json-1.1";

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Sends one raw HTTP/1.1 request to the test server. */
function send(headers: Record<string, string>, body: string | Uint8Array = "", method = "POST", path = "/"): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface SignOptions {
  readonly target?: string | undefined;
  readonly accessKeyId?: string;
  readonly secret?: string;
  readonly region?: string;
  readonly date?: number;
  readonly contentSha256?: boolean;
  readonly extraHeaders?: Record<string, string>;
}

/** The headers of a request signed by @smithy/signature-v4, as the AWS SDK signs it. */
async function signedHeaders(body: string | Uint8Array, o: SignOptions = {}): Promise<Record<string, string>> {
  const host = new URL(server.url).host;
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.accessKeyId ?? server.admin.access_key_id, secretAccessKey: o.secret ?? server.admin.secret_access_key },
    region: o.region ?? "us-east-1",
    service: "kms",
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: o.contentSha256 ?? false,
  });
  const headers: Record<string, string> = { host, "content-type": CONTENT_TYPE, ...o.extraHeaders };
  if (o.target !== undefined) headers["x-amz-target"] = o.target;
  const signed = await signer.sign({ method: "POST", protocol: "http:", hostname: host, path: "/", query: {}, headers, body }, { signingDate: new Date(o.date ?? now()) });
  return Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** A signed call of an operation with a JSON body (a string is sent as it is). */
async function call(target: string | undefined, body: unknown, o: SignOptions = {}): Promise<Answer> {
  const raw = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  return send(await signedHeaders(raw, { ...o, target }), raw);
}

/** Every answer of the endpoint: a request id, the AWS JSON content type, never a 500. */
function framed(t: ExecutionContext, answer: Answer, what: string): void {
  t.regex(String(answer.headers["x-amzn-requestid"] ?? ""), /^[0-9A-Za-z-]{16,}$/, `${what}: x-amzn-RequestId`);
  t.is(answer.headers["content-type"], CONTENT_TYPE, `${what}: content-type`);
  t.true(answer.status < 500, `${what}: status ${answer.status} ${answer.text.slice(0, 300)}`);
}

/** Asserts an AWS JSON 1.1 error answer: the status, {"__type", "message"}, the exception and (optionally) the message. */
function refused(t: ExecutionContext, answer: Answer, status: number, exception: string | RegExp, message?: RegExp, what = String(exception)): { __type: string; message: string } {
  framed(t, answer, what);
  t.is(answer.status, status, `${what}: status (${answer.text.slice(0, 300)})`);
  let body: unknown;
  t.notThrows(() => (body = JSON.parse(answer.text)), `${what}: the body is JSON`);
  const error = body as { __type: string; message: string };
  t.deepEqual(Object.keys(error ?? {}).sort(), ["__type", "message"], `${what}: the error body is {"__type", "message"}`);
  t.is(typeof error.message, "string", what);
  if (typeof exception === "string") t.is(error.__type, exception, `${what}: ${error.message}`);
  else t.regex(error.__type, exception, `${what}: ${error.message}`);
  if (message) t.regex(error.message, message, what);
  return error;
}

/** The server answers a well-formed signed call: it keeps serving after whatever came before. */
async function stillServing(t: ExecutionContext, what: string): Promise<void> {
  const answer = await call("TrentService.ListKeys", { Limit: 1 });
  framed(t, answer, `after ${what}`);
  t.is(answer.status, 200, `the server still serves after ${what}: ${answer.text.slice(0, 200)}`);
  t.true(Array.isArray((JSON.parse(answer.text) as { Keys: unknown }).Keys));
}

test.serial("a correctly signed request is answered 200 with AWS's framing", async (t) => {
  const created = await call("TrentService.CreateKey", { Description: "raw protocol" });
  framed(t, created, "CreateKey");
  t.is(created.status, 200, created.text);
  const meta = (JSON.parse(created.text) as { KeyMetadata: { KeyId: string; CreationDate: unknown; KeyState: string } }).KeyMetadata;
  t.is(typeof meta.CreationDate, "number", "timestamps are epoch seconds");
  t.is(meta.KeyState, "Enabled");
  // With x-amz-content-sha256, as the SDK sends it for some services, and an unsigned extra header.
  const described = await send({ ...(await signedHeaders(JSON.stringify({ KeyId: meta.KeyId }), { target: "TrentService.DescribeKey", contentSha256: true })), "user-agent": "raw-test" }, JSON.stringify({ KeyId: meta.KeyId }));
  framed(t, described, "DescribeKey");
  t.is(described.status, 200, described.text);
  // An empty body is an empty request.
  const listed = await call("TrentService.ListAliases", "");
  t.is(listed.status, 200, listed.text);
  t.true(Array.isArray((JSON.parse(listed.text) as { Aliases: unknown }).Aliases));
});

test.serial("a wrong secret is 400 InvalidSignatureException", async (t) => {
  refused(t, await call("TrentService.ListKeys", {}, { secret: "not-the-secret-not-the-secret-not-the-se" }), 400, "InvalidSignatureException", /signature we calculated does not match/);
  await stillServing(t, "a wrong secret");
});

test.serial("a body changed after signing is 400 InvalidSignatureException", async (t) => {
  const headers = await signedHeaders(JSON.stringify({ Limit: 1 }), { target: "TrentService.ListKeys" });
  refused(t, await send(headers, JSON.stringify({ Limit: 2 })), 400, "InvalidSignatureException");
  const hashed = await signedHeaders(JSON.stringify({ Limit: 1 }), { target: "TrentService.ListKeys", contentSha256: true });
  refused(t, await send(hashed, JSON.stringify({ Limit: 2 })), 400, "InvalidSignatureException");
  // The target is signed too: the same signature does not carry over to another operation.
  refused(t, await send({ ...headers, "x-amz-target": "TrentService.CreateKey" }, JSON.stringify({ Limit: 1 })), 400, "InvalidSignatureException");
  await stillServing(t, "a tampered request");
});

test.serial("an X-Amz-Date 20 minutes old is 400 InvalidSignatureException \"Signature expired\"; 20 minutes ahead, \"not yet current\"", async (t) => {
  refused(t, await call("TrentService.ListKeys", {}, { date: now() - 20 * 60_000 }), 400, "InvalidSignatureException", /^Signature expired/);
  refused(t, await call("TrentService.ListKeys", {}, { date: now() + 20 * 60_000 }), 400, "InvalidSignatureException", /^Signature not yet current/);
  // 10 minutes off either way is within AWS's 15.
  t.is((await call("TrentService.ListKeys", {}, { date: now() - 10 * 60_000 })).status, 200);
  t.is((await call("TrentService.ListKeys", {}, { date: now() + 10 * 60_000 })).status, 200);
  await stillServing(t, "an expired signature");
});

test.serial("a valid signed request replayed 16 minutes later (the server's clock moved on) is refused as expired", async (t) => {
  const body = JSON.stringify({ Description: "replayed?" });
  const headers = await signedHeaders(body, { target: "TrentService.CreateKey" });
  const first = await send(headers, body);
  t.is(first.status, 200, first.text);
  const before = (JSON.parse((await call("TrentService.ListKeys", { Limit: 1000 })).text) as { Keys: unknown[] }).Keys.length;
  // The clock only ever moves forward here: the server's rate quotas count time from it.
  skew += 16 * 60_000;
  refused(t, await send(headers, body), 400, "InvalidSignatureException", /^Signature expired/);
  const after = (JSON.parse((await call("TrentService.ListKeys", { Limit: 1000 })).text) as { Keys: unknown[] }).Keys.length;
  t.is(after, before, "the replay created no key");
  await stillServing(t, "a replay");
});

test.serial("no Authorization header is 403 MissingAuthenticationTokenException", async (t) => {
  const body = JSON.stringify({});
  refused(t, await send({ "content-type": CONTENT_TYPE, "x-amz-target": "TrentService.ListKeys" }, body), 403, "MissingAuthenticationTokenException");
  // A signature that was made but not sent is the same.
  const { authorization: _dropped, ...unsigned } = await signedHeaders(body, { target: "TrentService.ListKeys" });
  refused(t, await send(unsigned, body), 403, "MissingAuthenticationTokenException");
  await stillServing(t, "a missing Authorization");
});

test.serial("a malformed Authorization header is 400 IncompleteSignatureException", async (t) => {
  const body = JSON.stringify({});
  const good = await signedHeaders(body, { target: "TrentService.ListKeys" });
  const credential = /Credential=([^,]+)/.exec(good["authorization"]!)![1]!;
  const signature = /Signature=([0-9a-f]+)/.exec(good["authorization"]!)![1]!;
  for (const authorization of [
    "garbage",
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=only",
    `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date`,
    `AWS4-HMAC-SHA256 Credential=${credential}, Signature=${signature}`,
    `AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=not-hex`,
    `AWS4-HMAC-SHA1 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=content-type, Signature=${signature}`,
    "Bearer kms1.not.asigv4header",
  ]) {
    refused(t, await send({ ...good, authorization }, body), 400, "IncompleteSignatureException", undefined, authorization);
  }
  const { "x-amz-date": _date, ...noDate } = good;
  refused(t, await send(noDate, body), 400, "IncompleteSignatureException", /X-Amz-Date/, "no X-Amz-Date");
  refused(t, await send({ ...good, "x-amz-date": "yesterday" }, body), 400, "IncompleteSignatureException", /X-Amz-Date/, "a malformed X-Amz-Date");
  await stillServing(t, "malformed Authorization headers");
});

test.serial("an unknown access key is 400 UnrecognizedClientException; a scope of another service or an unserved region is 400 InvalidSignatureException", async (t) => {
  refused(t, await call("TrentService.ListKeys", {}, { accessKeyId: "AKIAUNKNOWNUNKNOWN00" }), 400, "UnrecognizedClientException");
  refused(t, await call("TrentService.ListKeys", {}, { region: "ap-nowhere-9" }), 400, "InvalidSignatureException");
  const body = JSON.stringify({});
  const good = await signedHeaders(body, { target: "TrentService.ListKeys" });
  refused(t, await send({ ...good, authorization: good["authorization"]!.replace("/kms/aws4_request", "/s3/aws4_request") }, body), 400, "InvalidSignatureException", /service/);
  await stillServing(t, "unknown credentials");
});

test.serial("an unknown X-Amz-Target is 400 UnknownOperationException; a custom-key-store operation is UnsupportedOperationException", async (t) => {
  for (const target of ["TrentService.NoSuchOperation", "TrentService.constructor", "TrentService.__proto__", "TrentService.toString", "KeyManagementService.ListKeys", "TrentService.", "ListKeys", "TrentService.listKeys", ""]) {
    refused(t, await call(target, {}), 400, "UnknownOperationException", undefined, JSON.stringify(target));
  }
  for (const target of ["TrentService.CreateCustomKeyStore", "TrentService.DescribeCustomKeyStores", "TrentService.UpdateCustomKeyStore"]) {
    refused(t, await call(target, {}), 400, "UnsupportedOperationException", undefined, target);
  }
  await stillServing(t, "unknown operations");
});

test.serial("an AWS JSON request without X-Amz-Target is 400 UnknownOperationException, not another protocol's 404", async (t) => {
  // POST / with the AWS JSON 1.1 content type is an AWS request whatever its headers lack; AWS
  // answers a missing target with UnknownOperationException (the codec's "Missing X-Amz-Target header.").
  refused(t, await call(undefined, {}), 400, "UnknownOperationException", undefined, "signed, no X-Amz-Target");
  const unsigned = await send({ "content-type": CONTENT_TYPE }, "{}");
  framed(t, unsigned, "unsigned, no X-Amz-Target");
  t.true(unsigned.status === 400 || unsigned.status === 403, `${unsigned.status} ${unsigned.text}`);
  await stillServing(t, "requests without X-Amz-Target");
});

test.serial("malformed JSON is 400 SerializationException", async (t) => {
  for (const body of ["{", "{\"KeyId\":", "not json", "{'KeyId': 'x'}", "\u0000\u0001\u0002", "{\"KeyId\":\"a\"}}", "[", "{\"KeyId\": NaN}"]) {
    refused(t, await call("TrentService.DescribeKey", body), 400, "SerializationException", undefined, JSON.stringify(body));
  }
  refused(t, await call("TrentService.DescribeKey", new Uint8Array([0xff, 0xfe, 0x00, 0x7b])), 400, "SerializationException", undefined, "binary body");
  await stillServing(t, "malformed JSON");
});

test.serial("a member of the wrong JSON type is 400 SerializationException", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["TrentService.DescribeKey", []],
    ["TrentService.DescribeKey", "a string"],
    ["TrentService.DescribeKey", 42],
    ["TrentService.DescribeKey", { KeyId: 5 }],
    ["TrentService.DescribeKey", { KeyId: { nested: true } }],
    ["TrentService.DescribeKey", { KeyId: ["alias/x"] }],
    ["TrentService.ListKeys", { Limit: "10" }],
    ["TrentService.ListKeys", { Limit: 1.5 }],
    ["TrentService.ListKeys", { Limit: 1e300 }],
    ["TrentService.CreateKey", { MultiRegion: "true" }],
    ["TrentService.CreateKey", { Tags: { TagKey: "k", TagValue: "v" } }],
    ["TrentService.CreateKey", { Tags: [null] }],
    ["TrentService.CreateKey", { Tags: [{ TagKey: 1, TagValue: "v" }] }],
    ["TrentService.CreateKey", { KeySpec: 3 }],
    ["TrentService.Encrypt", { KeyId: "alias/x", Plaintext: "!!! not base64 !!!" }],
    ["TrentService.Encrypt", { KeyId: "alias/x", Plaintext: 12345 }],
    ["TrentService.Encrypt", { KeyId: "alias/x", Plaintext: "aGk=", EncryptionContext: ["a", "b"] }],
    ["TrentService.Encrypt", { KeyId: "alias/x", Plaintext: "aGk=", EncryptionContext: { a: { b: "c" } } }],
    ["TrentService.Encrypt", { KeyId: "alias/x", Plaintext: "aGk=", EncryptionContext: { a: null } }],
    ["TrentService.ImportKeyMaterial", { KeyId: "k", ImportToken: "aGk=", EncryptedKeyMaterial: "aGk=", ValidTo: "tomorrow" }],
    ["TrentService.ImportKeyMaterial", { KeyId: "k", ImportToken: "aGk=", EncryptedKeyMaterial: "aGk=", ValidTo: 1e20 }],
    ["TrentService.CreateGrant", { KeyId: "k", GranteePrincipal: "p", Operations: "Encrypt" }],
    ["TrentService.CreateGrant", { KeyId: "k", GranteePrincipal: "p", Operations: ["Encrypt"], Constraints: "none" }],
  ];
  for (const [target, body] of cases) {
    refused(t, await call(target, body), 400, "SerializationException", undefined, `${target} ${JSON.stringify(body)}`);
  }
  await stillServing(t, "wrongly typed members");
});

test.serial("other bad input is refused with a 4xx AWS error, never a 500", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["TrentService.CreateKey", { KeySpec: "NOT_A_SPEC" }],
    ["TrentService.CreateKey", { KeyUsage: "" }],
    ["TrentService.CreateKey", { Policy: "{" }],
    ["TrentService.CreateKey", { Description: "x".repeat(10_000) }],
    ["TrentService.CreateKey", { CustomKeyStoreId: "cks-1234567890abcdef0" }],
    ["TrentService.DescribeKey", {}],
    ["TrentService.DescribeKey", { KeyId: "" }],
    ["TrentService.DescribeKey", { KeyId: "arn:aws:kms:::" }],
    ["TrentService.DescribeKey", { KeyId: "x".repeat(100_000) }],
    ["TrentService.Encrypt", { KeyId: "alias/none", Plaintext: "" }],
    ["TrentService.Decrypt", { CiphertextBlob: Buffer.from("not a ciphertext").toString("base64") }],
    ["TrentService.Decrypt", { CiphertextBlob: "" }],
    ["TrentService.GenerateRandom", { NumberOfBytes: -1 }],
    ["TrentService.GenerateRandom", { NumberOfBytes: 2 ** 31 }],
    ["TrentService.GenerateDataKey", { KeyId: "alias/none", NumberOfBytes: 0 }],
    ["TrentService.ListKeys", { Limit: 0 }],
    ["TrentService.ListKeys", { Marker: "bogus-marker" }],
    ["TrentService.ListKeys", { Limit: -5 }],
    ["TrentService.RetireGrant", { GrantToken: "bm90LWEtdG9rZW4" }],
    ["TrentService.Sign", { KeyId: "alias/none", Message: "aGk=", SigningAlgorithm: "NOPE" }],
    ["TrentService.ImportKeyMaterial", { KeyId: "k", ImportToken: "aGk=", EncryptedKeyMaterial: "aGk=", ValidTo: -1e15 }],
    ["TrentService.PutKeyPolicy", { KeyId: "k", Policy: "{}".repeat(100_000) }],
    ["TrentService.TagResource", { KeyId: "k", Tags: Array.from({ length: 1000 }, (_, i) => ({ TagKey: `k${i}`, TagValue: "v" })) }],
    ["TrentService.Encrypt", { KeyId: "alias/none", Plaintext: Buffer.alloc(5000).toString("base64") }],
  ];
  for (const [target, body] of cases) {
    const answer = await call(target, body);
    const what = `${target} ${JSON.stringify(body).slice(0, 120)}`;
    framed(t, answer, what);
    t.true(answer.status === 400, `${what}: ${answer.status} ${answer.text.slice(0, 200)}`);
    const error = JSON.parse(answer.text) as { __type: string; message: string };
    t.regex(error.__type, /^[A-Za-z]+Exception$/, what);
    t.not(error.__type, "KMSInternalException", `${what}: ${error.message}`);
  }
  // Members named like Object.prototype's are unknown members, ignored as AWS ignores them: they change nothing.
  for (const body of ['{"constructor": "x", "toString": 1, "hasOwnProperty": "y", "valueOf": null}', '{"__proto__": {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}}']) {
    const answer = await call("TrentService.CreateKey", body);
    framed(t, answer, body);
    t.is(answer.status, 200, `${body}: ${answer.text.slice(0, 200)}`);
    const meta = (JSON.parse(answer.text) as { KeyMetadata: { KeySpec: string; KeyUsage: string } }).KeyMetadata;
    t.deepEqual([meta.KeySpec, meta.KeyUsage], ["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"], body);
  }
  // Deeply nested JSON.
  const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
  refused(t, await call("TrentService.DescribeKey", deep), 400, "SerializationException", undefined, "deeply nested JSON");
  const deepObject = `{"KeyId": ${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}}`;
  refused(t, await call("TrentService.DescribeKey", deepObject), 400, "SerializationException", undefined, "deeply nested object");
  await stillServing(t, "bad input");
});

test.serial("an oversized body (> 1 MiB) is refused with 400 without crashing, signed or not", async (t) => {
  const big = JSON.stringify({ KeyId: "alias/x", Plaintext: Buffer.alloc(1024 * 1024 + 10).toString("base64") });
  t.true(Buffer.byteLength(big) > 1024 * 1024);
  const signed = await call("TrentService.Encrypt", big);
  const error = refused(t, signed, 400, /^[A-Za-z]+Exception$/, undefined, "a signed oversized body");
  t.not(error.__type, "KMSInternalException");
  const unsigned = await send({ "content-type": CONTENT_TYPE, "x-amz-target": "TrentService.Encrypt" }, Buffer.alloc(8 * 1024 * 1024, 0x20));
  refused(t, unsigned, unsigned.status === 403 ? 403 : 400, /^[A-Za-z]+Exception$/, undefined, "an unsigned 8 MiB body");
  await stillServing(t, "oversized bodies");
  // Several at once, and the server still answers.
  const answers = await Promise.all(Array.from({ length: 4 }, () => send({ "content-type": CONTENT_TYPE, "x-amz-target": "TrentService.ListKeys" }, Buffer.alloc(2 * 1024 * 1024, 0x20))));
  for (const answer of answers) t.true(answer.status === 400 || answer.status === 403, String(answer.status));
  await stillServing(t, "concurrent oversized bodies");
});

test.serial("a 1 MiB body just under the limit is read whole (and refused on its merits, not its size)", async (t) => {
  const padding = "x".repeat(1024 * 1024 - 200);
  const body = JSON.stringify({ Limit: 1, Ignored: padding });
  t.true(Buffer.byteLength(body) < 1024 * 1024);
  const answer = await call("TrentService.ListKeys", body);
  framed(t, answer, "a body just under 1 MiB");
  t.is(answer.status, 200, answer.text.slice(0, 200));
});

test.serial("every answer carries a distinct x-amzn-RequestId", async (t) => {
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) ids.add(String((await call("TrentService.ListKeys", {})).headers["x-amzn-requestid"]));
  for (let i = 0; i < 5; i++) ids.add(String((await call("TrentService.NoSuchOperation", {})).headers["x-amzn-requestid"]));
  for (let i = 0; i < 5; i++) ids.add(String((await send({ "content-type": CONTENT_TYPE, "x-amz-target": "TrentService.ListKeys" }, "{}")).headers["x-amzn-requestid"]));
  t.is(ids.size, 15);
});
