import { randomBytes, randomUUID } from "node:crypto";
import test from "ava";
import { sealChunk } from "../client/envelope/chunk.js";
import { encodeHeaderBody } from "../client/envelope/header.js";
import { deriveMessageKeys } from "../client/envelope/key-schedule.js";
import {
  createDataKeyCache,
  decrypt,
  decryptStream,
  encrypt,
  encryptStream,
  EnvelopeError,
  parseEnvelopeHeader,
  type KmsDataKeyClient,
} from "../client/envelope/index.js";
import { connectGrpc, type KmsClient } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

// The envelope library against the real server: data keys from GenerateDataKey, extra copies
// from Encrypt in another region, Decrypt with the key ARN and the context, and the server's
// refusals surfaced as typed errors.

let server: TestServer;
let us: KmsClient;
let eu: KmsClient;
let usKey: { keyId: string; arn: string };
let euKey: { keyId: string; arn: string };

test.before(async () => {
  server = await startTestServer();
  us = connectGrpc.connect(server);
  eu = connectGrpc.connect(server, "eu-west-1");
  usKey = await newKey(us, "envelope us-east-1");
  euKey = await newKey(eu, "envelope eu-west-1");
});
test.after.always(async () => {
  await server?.destroy();
});

async function newKey(kms: KmsClient, description: string): Promise<{ keyId: string; arn: string }> {
  const { keyMetadata } = await kms.createKey({ description });
  return { keyId: keyMetadata!.keyId, arn: keyMetadata!.arn };
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

async function envelopeErrorOf(call: Promise<unknown>): Promise<EnvelopeError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof EnvelopeError)) throw new Error(`expected an EnvelopeError, got ${String(error)}`);
  return error;
}

/** A user with one inline identity policy, logged in, and its us-east-1 client. */
async function userWith(actions: string[]): Promise<KmsClient> {
  const iam = identityClient(server.url, server.token);
  const userName = `envelope-${randomUUID().slice(0, 8)}`;
  await iam.createUser({ userName });
  const policyDocument = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
  await iam.putUserPolicy({ userName, policyName: "envelope", policyDocument });
  const { accessKey } = await iam.createAccessKey({ userName });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  return connectGrpc.connect({ url: server.url, token });
}

test("round trip through KMS: the header records the key ARN, the plaintext and context come back", async (t) => {
  const aliasName = `alias/envelope-${randomUUID().slice(0, 8)}`;
  await us.createAlias({ aliasName, targetKeyId: usKey.keyId });
  const plaintext = randomBytes(200_000);
  const encryptionContext = { tenant: "acme", purpose: "envelope-kms-test" };
  const message = await encrypt(plaintext, { keys: [{ keyId: aliasName, client: us }], encryptionContext });
  const header = parseEnvelopeHeader(message).header;
  t.deepEqual(header.encryptedDataKeys.map((k) => k.keyArn), [usKey.arn], "the ARN KMS reported, not the alias");
  t.deepEqual(header.encryptionContext, encryptionContext);

  const result = await decrypt(message, { clientFor: (arn) => (arn === usKey.arn ? us : undefined), encryptionContext: { tenant: "acme" } });
  t.true(Buffer.from(result.plaintext).equals(plaintext));
  t.is(result.keyArn, usKey.arn);
  t.deepEqual(result.encryptionContext, encryptionContext);

  // The data key KMS made is bound to the context: KMS itself refuses it under another one.
  const dk = header.encryptedDataKeys[0]!;
  const refused = await us.decrypt({ ciphertextBlob: dk.ciphertextBlob, keyId: dk.keyArn, encryptionContext: { tenant: "acme" } }).then(
    () => "decrypted",
    () => "refused",
  );
  t.is(refused, "refused");

  // The stream forms, in pieces.
  const streamed = await collect(encryptStream([plaintext.subarray(0, 70_000), plaintext.subarray(70_000)], { keys: [{ keyId: usKey.arn, client: us }], encryptionContext }));
  t.true((await collect(decryptStream([streamed], { clientFor: () => us }))).equals(plaintext));
});

test("two wrapping keys in two regions: either region's client alone decrypts", async (t) => {
  const plaintext = randomBytes(100_000);
  const message = await encrypt(plaintext, {
    keys: [
      { keyId: usKey.keyId, client: us },
      { keyId: euKey.keyId, client: eu },
    ],
    encryptionContext: { app: "two-regions" },
    chunkSize: 16 * 1024,
  });
  const arns = parseEnvelopeHeader(message).header.encryptedDataKeys.map((k) => k.keyArn);
  t.deepEqual(arns, [usKey.arn, euKey.arn]);
  t.regex(arns[1]!, /^arn:aws:kms:eu-west-1:/);

  // Only the eu-west-1 client is available: the us-east-1 copy is skipped, the eu-west-1 one used.
  const euOnly = await decrypt(message, { clientFor: (arn) => (arn.startsWith("arn:aws:kms:eu-west-1:") ? eu : undefined) });
  t.true(Buffer.from(euOnly.plaintext).equals(plaintext));
  t.is(euOnly.keyArn, euKey.arn);
  const usOnly = await decrypt(message, { clientFor: (arn) => (arn === usKey.arn ? us : undefined) });
  t.is(usOnly.keyArn, usKey.arn);

  // A client of the wrong region fails for that key (regions are isolated keyrings) and the
  // next copy is tried.
  const fellBack = await decrypt(message, { clientFor: (arn) => (arn === usKey.arn ? eu : arn === euKey.arn ? eu : undefined) });
  t.is(fellBack.keyArn, euKey.arn);
  const error = await envelopeErrorOf(decrypt(message, { clientFor: (arn) => (arn === usKey.arn ? eu : undefined) }));
  t.is(error.code, "DataKeyUnavailable");
  t.is(error.kmsFailures.length, 1);
  t.is(error.kmsFailures[0]!.keyId, usKey.arn);
  t.is(error.kmsFailures[0]!.exception, "NotFoundException");
});

test("signed messages through KMS: a reader with only kms:Decrypt reads them but cannot write one that readers accept", async (t) => {
  const plaintext = randomBytes(5000);
  const message = await encrypt(plaintext, { keys: [{ keyId: usKey.keyId, client: us }], encryptionContext: { app: "signed" }, sign: true, chunkSize: 1024 });
  const readerOnly = await userWith(["kms:Decrypt"]);
  const result = await decrypt(message, { clientFor: () => readerOnly, requireSignature: true });
  t.true(Buffer.from(result.plaintext).equals(plaintext));
  t.true(result.signed);
  // The reader cannot make a data key of its own...
  t.is((await envelopeErrorOf(encrypt(Buffer.from("forged"), { keys: [{ keyId: usKey.keyId, client: readerOnly }], sign: true }))).code, "KmsFailure");
  // ...and with the data key it holds, chunks of its own under the original header and signature are refused.
  const { header, length } = parseEnvelopeHeader(message);
  const { plaintext: dataKey } = await readerOnly.decrypt({ ciphertextBlob: header.encryptedDataKeys[0]!.ciphertextBlob, encryptionContext: header.encryptionContext });
  const keys = deriveMessageKeys(dataKey, header.messageId, header.suiteId);
  const body = Buffer.from(message).subarray(length);
  let end = 0;
  while (body[end] === 0) end += 5 + 1024 + 16;
  end += 5 + body.readUInt32BE(end + 1) + 16;
  const forged = Buffer.concat([Buffer.from(message).subarray(0, length), ...sealChunk(keys.chunkKey, header.messageId, 0, true, Buffer.from("pay mallory")), body.subarray(end)]);
  t.is((await envelopeErrorOf(decrypt(forged, { clientFor: () => readerOnly, requireSignature: true }))).code, "SignatureInvalid");
  const unsigned = await encrypt(Buffer.from("x"), { keys: [{ keyId: usKey.keyId, client: us }] });
  t.is((await envelopeErrorOf(decrypt(unsigned, { clientFor: () => readerOnly, requireSignature: true }))).code, "SignatureRequired");
});

test("a user without kms:Decrypt gets DataKeyUnavailable naming AccessDeniedException", async (t) => {
  const message = await encrypt(Buffer.from("secret"), { keys: [{ keyId: usKey.keyId, client: us }], encryptionContext: { app: "denied" } });
  const noDecrypt = await userWith(["kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]);
  const error = await envelopeErrorOf(decrypt(message, { clientFor: () => noDecrypt }));
  t.is(error.code, "DataKeyUnavailable");
  t.deepEqual(
    error.kmsFailures.map((f) => [f.operation, f.keyId, f.exception]),
    [["Decrypt", usKey.arn, "AccessDeniedException"]],
  );
  t.regex(error.message, /Decrypt: AccessDeniedException/);
  // The same user can encrypt, and with kms:Decrypt someone else reads it.
  const own = await encrypt(Buffer.from("mine"), { keys: [{ keyId: usKey.keyId, client: noDecrypt }] });
  t.is(Buffer.from((await decrypt(own, { clientFor: () => us })).plaintext).toString(), "mine");
});

test("a user without kms:GenerateDataKey, or without kms:Encrypt on a second key, gets KmsFailure naming AccessDeniedException", async (t) => {
  const decryptOnly = await userWith(["kms:Decrypt"]);
  const generate = await envelopeErrorOf(encrypt(Buffer.from("x"), { keys: [{ keyId: usKey.keyId, client: decryptOnly }] }));
  t.is(generate.code, "KmsFailure");
  t.deepEqual(generate.kmsFailures.map((f) => [f.operation, f.exception]), [["GenerateDataKey", "AccessDeniedException"]]);
  const generateOnly = await userWith(["kms:GenerateDataKey"]);
  const wrap = await envelopeErrorOf(
    encrypt(Buffer.from("x"), {
      keys: [
        { keyId: usKey.keyId, client: generateOnly },
        { keyId: usKey.arn, client: generateOnly },
      ],
    }),
  );
  t.is(wrap.code, "KmsFailure");
  t.deepEqual(wrap.kmsFailures.map((f) => [f.operation, f.exception]), [["Encrypt", "AccessDeniedException"]]);
});

test("a wrong expected context is refused; a context swapped in the header is refused by KMS", async (t) => {
  const encryptionContext = { tenant: "acme", stage: "prod" };
  const message = await encrypt(Buffer.from("context"), { keys: [{ keyId: usKey.keyId, client: us }], encryptionContext });
  const wrong: Array<Record<string, string>> = [{ tenant: "globex" }, { tenant: "acme", stage: "dev" }, { other: "pair" }];
  for (const expected of wrong) {
    t.is((await envelopeErrorOf(decrypt(message, { clientFor: () => us, encryptionContext: expected }))).code, "ContextMismatch", JSON.stringify(expected));
  }
  t.is(Buffer.from((await decrypt(message, { clientFor: () => us, encryptionContext: { stage: "prod" } })).plaintext).toString(), "context");

  // Someone rewrites the context in the header (and would have to forge the tag too): the data
  // key does not even decrypt, because KMS bound it to the original context.
  const { header, length } = parseEnvelopeHeader(message);
  const swapped = Buffer.concat([encodeHeaderBody({ ...header, encryptionContext: { tenant: "acme", stage: "dev" } }), header.tag, message.subarray(length)]);
  const error = await envelopeErrorOf(decrypt(swapped, { clientFor: () => us }));
  t.is(error.code, "DataKeyUnavailable");
  t.deepEqual(error.kmsFailures.map((f) => f.exception), ["InvalidCiphertextException"]);
});

test("the data key cache saves GenerateDataKey calls against the real server", async (t) => {
  let generated = 0;
  const counting: KmsDataKeyClient = {
    generateDataKey: (request, options) => (generated++, us.generateDataKey(request, options)),
    encrypt: (request, options) => us.encrypt(request, options),
    decrypt: (request, options) => us.decrypt(request, options),
  };
  const cache = createDataKeyCache({ maxAgeMs: 60_000, maxMessages: 5, maxBytes: 1 << 20, maxEntries: 10 });
  const messages = [];
  for (let i = 0; i < 12; i++) messages.push(await encrypt(Buffer.from(`cached ${i}`), { keys: [{ keyId: usKey.keyId, client: counting }], dataKeyCache: cache }));
  t.is(generated, 3, "5 + 5 + 2 messages");
  for (const [i, message] of messages.entries()) t.is(Buffer.from((await decrypt(message, { clientFor: () => us })).plaintext).toString(), `cached ${i}`);
});
