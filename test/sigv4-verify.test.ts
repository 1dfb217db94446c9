import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import * as sdk from "@aws-sdk/client-kms";
import test, { type ExecutionContext } from "ava";
import { Readable } from "node:stream";
import { AwsProtocolError, errorResponse } from "../server/aws/aws-errors.js";
import { verifySigV4, type SigningSecret, type SigV4Request, type SigV4VerifyOptions } from "../server/aws/sigv4-verify.js";

// The SDK warns once per process that its releases after January 2027 need Node 22; the project runs on Node 20.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

const AKID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TEMP_AKID = "ASIAIOSFODNN7EXAMPLE";
const TEMP_SECRET = "temporary/secret/EXAMPLEKEY0000000000000";
const TOKEN = "kms1.0123456789abcdef0123456789abcdef.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const keys = new Map<string, SigningSecret>([
  [AKID, { secret: SECRET }],
  [TEMP_AKID, { secret: TEMP_SECRET, sessionToken: TOKEN }],
]);
const options: SigV4VerifyOptions = {
  secretFor: async (id) => keys.get(id),
  now: NOW,
  isKnownRegion: (region) => region === "us-east-1" || region === "eu-west-1",
};

interface SignOptions {
  accessKeyId?: string;
  secret?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  date?: number;
  body?: string;
  query?: Record<string, string | string[]>;
  extraHeaders?: Record<string, string>;
  /** Add x-amz-content-sha256 as the SDK does (the signer's applyChecksum). */
  contentSha256?: boolean;
}

/** A request signed by @smithy/signature-v4 itself, as the server would receive it. */
async function signed(o: SignOptions = {}): Promise<SigV4Request & { headers: Record<string, string> }> {
  const body = o.body ?? '{"KeyId":"alias/app"}';
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.accessKeyId ?? AKID, secretAccessKey: o.secret ?? SECRET, ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}) },
    region: o.region ?? "us-east-1",
    service: o.service ?? "kms",
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: o.contentSha256 ?? false,
  });
  const request = await signer.sign(
    {
      method: "POST",
      protocol: "https:",
      hostname: "kms.example.test",
      path: "/",
      query: o.query ?? {},
      headers: {
        host: "kms.example.test",
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "TrentService.DescribeKey",
        ...o.extraHeaders,
      },
      body,
    },
    { signingDate: new Date(o.date ?? NOW) },
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: "POST", path: "/", query: rawQuery(o.query ?? {}), headers, body: new TextEncoder().encode(body) };
}

/** The query string as a client puts it on the wire (RFC 3986 encoding, as the SDK's escapeUri). */
function rawQuery(query: Record<string, string | string[]>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((item) => `${enc(k)}=${enc(item)}`))
    .join("&");
}

async function refused(t: ExecutionContext, request: SigV4Request, exception: string, message?: RegExp, opts: Partial<SigV4VerifyOptions> = {}): Promise<void> {
  const error = await t.throwsAsync(verifySigV4(request, { ...options, ...opts }));
  t.true(error instanceof AwsProtocolError, String(error));
  t.is((error as AwsProtocolError).exception, exception as never, error?.message);
  if (message) t.regex(error!.message, message);
}

function withHeaders(request: SigV4Request & { headers: Record<string, string> }, change: (h: Record<string, string>) => void): SigV4Request {
  const headers = { ...request.headers };
  change(headers);
  return { ...request, headers };
}

test("a request signed by @smithy/signature-v4 verifies, and names its signer and region", async (t) => {
  t.deepEqual(await verifySigV4(await signed(), options), { accessKeyId: AKID, region: "us-east-1", service: "kms", signingDate: new Date(NOW) });
  const eu = await verifySigV4(await signed({ region: "eu-west-1", contentSha256: true }), options);
  t.is(eu.region, "eu-west-1");
  t.is((await verifySigV4(await signed({ body: "" }), options)).accessKeyId, AKID);
  t.is((await verifySigV4(await signed({ body: '{"Plaintext":"aGVsbG8="}', contentSha256: true }), options)).service, "kms");
});

test("a wrong secret is InvalidSignatureException", async (t) => {
  await refused(t, await signed({ secret: "not-the-secret" }), "InvalidSignatureException", /signature we calculated does not match/);
});

test("a tampered body is InvalidSignatureException, with or without x-amz-content-sha256", async (t) => {
  const plain = await signed();
  await refused(t, { ...plain, body: new TextEncoder().encode('{"KeyId":"alias/other"}') }, "InvalidSignatureException", /does not match the signature/);
  const hashed = await signed({ contentSha256: true });
  t.truthy(hashed.headers["x-amz-content-sha256"]);
  await refused(t, { ...hashed, body: new TextEncoder().encode('{"KeyId":"alias/other"}') }, "InvalidSignatureException", /x-amz-content-sha256/);
  // Body and hash header both replaced consistently: the signature no longer matches.
  const other = new TextEncoder().encode("{}");
  const { createHash } = await import("node:crypto");
  await refused(t, withHeaders({ ...hashed, body: other }, (h) => (h["x-amz-content-sha256"] = createHash("sha256").update(other).digest("hex"))), "InvalidSignatureException", /does not match the signature/);
});

test("a tampered signed header is InvalidSignatureException; unsigned headers may change", async (t) => {
  const request = await signed({ extraHeaders: { "x-custom": "a" } });
  await refused(t, withHeaders(request, (h) => (h["x-amz-target"] = "TrentService.ScheduleKeyDeletion")), "InvalidSignatureException");
  await refused(t, withHeaders(request, (h) => (h["x-custom"] = "b")), "InvalidSignatureException");
  await refused(t, withHeaders(request, (h) => (h["host"] = "evil.example.test")), "InvalidSignatureException");
  await refused(t, withHeaders(request, (h) => delete h["x-custom"]), "InvalidSignatureException", /signed header 'x-custom' is not in the request/);
  await refused(t, { ...request, method: "PUT" }, "InvalidSignatureException");
  await refused(t, { ...request, path: "/other" }, "InvalidSignatureException");
  await refused(t, { ...request, query: "a=b" }, "InvalidSignatureException");
  // Headers the client did not sign (user-agent, added by proxies) do not matter.
  t.is((await verifySigV4(withHeaders(request, (h) => Object.assign(h, { "user-agent": "x", "x-forwarded-for": "1.2.3.4" })), options)).accessKeyId, AKID);
  // Whitespace is canonicalized as the signer does: runs of spaces are one.
  t.is((await verifySigV4(withHeaders(await signed({ extraHeaders: { "x-custom": "a  b" } }), (h) => (h["x-custom"] = " a b ")), options)).accessKeyId, AKID);
});

test("X-Amz-Date more than 15 minutes away is InvalidSignatureException: expired, or not yet current", async (t) => {
  const minute = 60_000;
  await refused(t, await signed({ date: NOW - 16 * minute }), "InvalidSignatureException", /^Signature expired: 20260115T114400Z is now earlier than 20260115T114500Z \(20260115T120000Z - 15 min\.\)$/);
  await refused(t, await signed({ date: NOW + 16 * minute }), "InvalidSignatureException", /^Signature not yet current: 20260115T121600Z is still later than 20260115T121500Z \(20260115T120000Z \+ 15 min\.\)$/);
  t.is((await verifySigV4(await signed({ date: NOW - 14 * minute }), options)).accessKeyId, AKID);
  t.is((await verifySigV4(await signed({ date: NOW + 14 * minute }), options)).accessKeyId, AKID);
  await refused(t, await signed({ date: NOW - 6 * minute }), "InvalidSignatureException", /Signature expired/, { maxSkewMs: 5 * minute });
  // The time is checked before the key is looked up, and even for a valid signature.
  let lookedUp = false;
  await refused(t, await signed({ date: NOW - 20 * minute }), "InvalidSignatureException", /expired/, { secretFor: async () => ((lookedUp = true), undefined) });
  t.false(lookedUp);
});

test("the credential scope must name a served region, the service kms, the request's date and aws4_request", async (t) => {
  await refused(t, await signed({ region: "ap-south-9" }), "InvalidSignatureException", /valid region/);
  t.is((await verifySigV4(await signed({ region: "ap-south-9" }), { ...options, isKnownRegion: undefined })).region, "ap-south-9");
  await refused(t, await signed({ service: "s3" }), "InvalidSignatureException", /correct service: 'kms'/);
  const request = await signed();
  const auth = request.headers["authorization"]!;
  await refused(t, withHeaders(request, (h) => (h["authorization"] = auth.replace("/us-east-1/", "/eu-west-1/"))), "InvalidSignatureException", /does not match the signature/);
  await refused(t, withHeaders(request, (h) => (h["authorization"] = auth.replace("/20260115/", "/20260114/"))), "InvalidSignatureException", /Date in Credential scope/);
  await refused(t, withHeaders(request, (h) => (h["authorization"] = auth.replace("/aws4_request", "/aws4_other"))), "InvalidSignatureException", /terminator/);
});

test("missing or garbled authorization: MissingAuthenticationTokenException or IncompleteSignatureException", async (t) => {
  const request = await signed();
  const auth = request.headers["authorization"]!;
  await refused(t, withHeaders(request, (h) => delete h["authorization"]), "MissingAuthenticationTokenException", /^Missing Authentication Token$/);
  await refused(t, withHeaders(request, (h) => (h["authorization"] = "")), "MissingAuthenticationTokenException");
  await refused(t, withHeaders(request, (h) => delete h["x-amz-date"]), "IncompleteSignatureException", /X-Amz-Date/);
  await refused(t, withHeaders(request, (h) => (h["x-amz-date"] = "2026-01-15T12:00:00Z")), "IncompleteSignatureException", /ISO8601/);
  await refused(t, withHeaders(request, (h) => (h["x-amz-date"] = "20261315T120000Z")), "IncompleteSignatureException");
  const garbled = [
    "Bearer kms1.abc",
    auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
    auth.replace(/Signature=[0-9a-f]+/, ""),
    auth.replace(/Signature=[0-9a-f]+/, "Signature=XYZ"),
    auth.replace(/Credential=/, "Cred="),
    auth.replace(/SignedHeaders=[^,]+, /, ""),
    auth.replace(`Credential=${AKID}/`, "Credential="),
    auth.replace("SignedHeaders=", "SignedHeaders=Host;"),
    `${auth}, Signature=${"0".repeat(64)}`,
    "AWS4-HMAC-SHA256",
  ];
  for (const value of garbled) await refused(t, withHeaders(request, (h) => (h["authorization"] = value)), "IncompleteSignatureException", undefined);
  await refused(t, withHeaders(request, (h) => (h["authorization"] = auth.replace(/SignedHeaders=[^,]+/, "SignedHeaders=content-type;x-amz-date;x-amz-target"))), "IncompleteSignatureException", /'Host'/);
  await refused(t, withHeaders(request, (h) => (h["authorization"] = auth.replace(/SignedHeaders=[^,]+/, "SignedHeaders=content-type;host;x-amz-target"))), "IncompleteSignatureException", /'X-Amz-Date'/);
});

test("an unknown access key is UnrecognizedClientException", async (t) => {
  await refused(t, await signed({ accessKeyId: "AKIAUNKNOWN000000000" }), "UnrecognizedClientException", /security token included in the request is invalid/);
});

test("temporary keys need their session token, exactly; permanent keys take none", async (t) => {
  const ok = await verifySigV4(await signed({ accessKeyId: TEMP_AKID, secret: TEMP_SECRET, sessionToken: TOKEN }), options);
  t.deepEqual(ok, { accessKeyId: TEMP_AKID, region: "us-east-1", service: "kms", sessionToken: TOKEN, signingDate: new Date(NOW) });
  await refused(t, await signed({ accessKeyId: TEMP_AKID, secret: TEMP_SECRET }), "UnrecognizedClientException");
  await refused(t, await signed({ accessKeyId: TEMP_AKID, secret: TEMP_SECRET, sessionToken: `${TOKEN.slice(0, -1)}R` }), "UnrecognizedClientException");
  await refused(t, await signed({ sessionToken: TOKEN }), "UnrecognizedClientException");
  // The right token in the header, but signed over another one: the signature does not match.
  const other = await signed({ accessKeyId: TEMP_AKID, secret: TEMP_SECRET, sessionToken: "another-token" });
  await refused(t, withHeaders(other, (h) => (h["x-amz-security-token"] = TOKEN)), "InvalidSignatureException");
});

test("HTTP/2's :authority stands for host, and query strings are canonicalized by the signer", async (t) => {
  const request = await signed();
  t.is((await verifySigV4(withHeaders(request, (h) => { h[":authority"] = h["host"]!; delete h["host"]; }), options)).accessKeyId, AKID);
  const query = { b: "two words", a: ["2", "1"], "ü~": "x/y+z" };
  t.is((await verifySigV4(await signed({ query }), options)).accessKeyId, AKID);
  const withQuery = await signed({ query });
  await refused(t, { ...withQuery, query: withQuery.query!.replace("two%20words", "two%20wordz") }, "InvalidSignatureException");
});

// ---------------------------------------------------------------------------------------------
// Requests signed by @aws-sdk/client-kms.

interface SdkRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

function toSigV4Request(r: SdkRequest): SigV4Request {
  const body = typeof r.body === "string" ? new TextEncoder().encode(r.body) : new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.byteLength);
  return { method: r.method, path: r.path, query: rawQuery(r.query), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])), body };
}

function sdkClient(handle: (request: SdkRequest) => Promise<{ status: number; headers?: Record<string, string>; body: unknown }>, config: Partial<sdk.KMSClientConfig> = {}) {
  return new sdk.KMSClient({
    region: "eu-west-1",
    endpoint: "http://127.0.0.1:9",
    credentials: { accessKeyId: TEMP_AKID, secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
    maxAttempts: 1,
    ...config,
    requestHandler: {
      async handle(request: SdkRequest) {
        const answer = await handle(request);
        return {
          response: {
            statusCode: answer.status,
            headers: { "content-type": "application/x-amz-json-1.1", ...answer.headers },
            body: Readable.from([Buffer.from(JSON.stringify(answer.body))]),
          },
        };
      },
    } as never,
  });
}

test("a request captured from @aws-sdk/client-kms verifies, with its session token and region", async (t) => {
  const captured: SdkRequest[] = [];
  const client = sdkClient(async (request) => {
    captured.push(request);
    return { status: 200, body: { KeyId: "k", Plaintext: "AQID" } };
  });
  await client.send(new sdk.DecryptCommand({ CiphertextBlob: new Uint8Array([1, 2, 3]), EncryptionContext: { a: "b" } }));
  const request = toSigV4Request(captured[0]!);
  t.regex(request.headers["authorization"] as string, /^AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/kms\/aws4_request, SignedHeaders=.*x-amz-content-sha256.*x-amz-security-token/);
  const now = Date.now();
  const verified = await verifySigV4(request, { ...options, now });
  t.is(verified.accessKeyId, TEMP_AKID);
  t.is(verified.region, "eu-west-1");
  t.is(verified.sessionToken, TOKEN);
  await refused(t, { ...request, body: new TextEncoder().encode('{"CiphertextBlob":"AQIE"}') }, "InvalidSignatureException", /x-amz-content-sha256/, { now });
  await refused(t, { ...request, headers: { ...request.headers, "x-amz-target": "TrentService.Encrypt" } }, "InvalidSignatureException", /does not match/, { now });
  await refused(t, request, "UnrecognizedClientException", undefined, { now, secretFor: async () => ({ secret: TEMP_SECRET, sessionToken: "another" }) });
});

test("the SDK surfaces InvalidSignatureException as a clock-skew error: it corrects its clock from Date and retries", async (t) => {
  const answers: string[] = [];
  const client = sdkClient(
    async (request) => {
      try {
        await verifySigV4(toSigV4Request(request), { ...options, now: Date.now() });
        answers.push("ok");
        return { status: 200, body: { KeyId: "k" } };
      } catch (error) {
        const e = error as AwsProtocolError;
        answers.push(`${e.exception}: ${e.message.slice(0, 17)}`);
        const { status, body } = errorResponse(e.exception, e.message);
        return { status, headers: { date: new Date().toUTCString() }, body };
      }
    },
    { systemClockOffset: -20 * 60_000, maxAttempts: 3 },
  );
  const out = await client.send(new sdk.CancelKeyDeletionCommand({ KeyId: "k" }));
  t.is(out.KeyId, "k");
  t.deepEqual(answers, ["InvalidSignatureException: Signature expired", "ok"]);

  // Without retries the caller sees the exception by its AWS name.
  const strict = sdkClient(async (request) => {
    try {
      await verifySigV4(toSigV4Request(request), { ...options, now: Date.now() });
      return { status: 200, body: {} };
    } catch (error) {
      const e = error as AwsProtocolError;
      const { status, body } = errorResponse(e.exception, e.message);
      return { status, body };
    }
  }, { credentials: { accessKeyId: TEMP_AKID, secretAccessKey: "wrong" } });
  const error = await t.throwsAsync(strict.send(new sdk.CancelKeyDeletionCommand({ KeyId: "k" })));
  t.is(error!.name, "UnrecognizedClientException");
  t.is((error as sdk.KMSServiceException).$metadata.httpStatusCode, 400);
});
