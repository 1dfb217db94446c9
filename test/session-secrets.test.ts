import test from "ava";
import { hashesEqual, hashSecret, newSessionToken, parseSessionToken, secretsEqual } from "../server/identity/secrets.js";
import { connectGrpc, failureOf } from "./support/clients.js";
import { startTestServer } from "./support/server.js";

test("a session token parses into its id and secret, and only the secret's hash is kept", (t) => {
  const { token, sessionId, secretHash } = newSessionToken();
  const parsed = parseSessionToken(token);
  t.is(parsed?.sessionId, sessionId);
  t.true(hashesEqual(hashSecret(parsed!.secret), secretHash));
  t.false(token.includes(secretHash));
  t.is(parseSessionToken(`${token}x`), undefined);
  t.is(parseSessionToken("Bearer abc"), undefined);
});

test("hash and secret comparisons: equal, unequal, and malformed inputs are never equal", (t) => {
  const h = hashSecret("a");
  t.true(hashesEqual(h, hashSecret("a")));
  t.false(hashesEqual(h, hashSecret("b")));
  t.false(hashesEqual(h, "zz"));
  t.false(hashesEqual("", ""));
  t.true(secretsEqual("same", "same"));
  t.false(secretsEqual("same", "same "));
});

test("a well-formed token with the right session id but a wrong secret is refused", async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.destroy());
  const [prefix, id, secret] = server.token.split(".");
  const forged = `${prefix}.${id}.${secret!.slice(0, -1)}${secret!.endsWith("A") ? "B" : "A"}`;
  t.is((await failureOf(connectGrpc.connect({ url: server.url, token: forged }).listKeys({}))).exception, "UnrecognizedClientException");
  await t.notThrowsAsync(connectGrpc.connect(server).listKeys({}));
});
