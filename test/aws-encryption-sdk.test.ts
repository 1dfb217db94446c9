import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { buildClient, CommitmentPolicy, getClient, KMS, KmsKeyringNode } from "@aws-crypto/client-node";
import * as sdk from "@aws-sdk/client-kms";
import test from "ava";
import { identityClient, startTestServer, type TestServer } from "./support/server.js";

// The AWS Encryption SDK for JavaScript (@aws-crypto/client-node) with its KMS keyring, pointed
// at this server through the AWS SDK client it is given: envelope encryption as AWS customers
// run it, with the data keys generated, wrapped and unwrapped by GenerateDataKey, Encrypt and
// Decrypt over the AWS JSON 1.1 endpoint.

// The SDK warns once per process that its releases after January 2027 need Node 22; it only
// honours the exact value "true".
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const { encrypt, decrypt, encryptStream, decryptUnsignedMessageStream, decryptStream } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * The keyring's client supplier: for each region (taken from a key ARN) a KMS client of that
 * region pointed at the test server, signing with the given access key.
 */
function clientProvider(credentials?: Credentials) {
  return getClient(KMS, {
    endpoint: server.url,
    credentials: credentials ?? { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key },
    maxAttempts: 1,
  });
}

function awsKms(region = "us-east-1"): sdk.KMSClient {
  return new sdk.KMSClient({ endpoint: server.url, region, credentials: { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key }, maxAttempts: 1 });
}

async function newKeyArn(region = "us-east-1", input: sdk.CreateKeyCommandInput = {}): Promise<string> {
  return (await awsKms(region).send(new sdk.CreateKeyCommand(input))).KeyMetadata!.Arn!;
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

test("a message (buffer): encrypt with a KMS keyring, decrypt it back, with the encryption context and the key's data-key record", async (t) => {
  const generatorKeyId = await newKeyArn();
  const keyring = new KmsKeyringNode({ generatorKeyId, clientProvider: clientProvider() });
  const plaintext = randomBytes(10_000);
  const context = { purpose: "esdk-test", tenant: "a" };

  const { result, messageHeader } = await encrypt(keyring, plaintext, { encryptionContext: context });
  t.true(Buffer.isBuffer(result));
  t.true(result.length > plaintext.length);
  t.is(messageHeader.encryptedDataKeys.length, 1);
  t.is(messageHeader.encryptedDataKeys[0]!.providerId, "aws-kms");
  t.is(messageHeader.encryptedDataKeys[0]!.providerInfo, generatorKeyId, "the data key is recorded under the key's ARN, as GenerateDataKey returned it");
  t.false(result.includes(plaintext.subarray(0, 64)), "the plaintext does not appear in the message");

  const opened = await decrypt(keyring, result);
  t.deepEqual(opened.plaintext, plaintext);
  for (const [k, v] of Object.entries(context)) t.is(opened.messageHeader.encryptionContext[k], v);

  // The data key is a KMS ciphertext of that key: the server decrypts it for its encryption context.
  const edk = messageHeader.encryptedDataKeys[0]!;
  const unwrapped = await awsKms().send(new sdk.DecryptCommand({ CiphertextBlob: edk.encryptedDataKey, EncryptionContext: messageHeader.encryptionContext }));
  t.is(unwrapped.KeyId, generatorKeyId);
  t.is(unwrapped.Plaintext!.length, 32, "AES-256 data key of the committing suite");

  // A keyring of another key refuses the message.
  const other = new KmsKeyringNode({ generatorKeyId: await newKeyArn(), clientProvider: clientProvider() });
  await t.throwsAsync(decrypt(other, result));
});

test("a stream: encryptStream, then decryptUnsignedMessageStream (unsigned suite) and decryptStream (default, signed suite)", async (t) => {
  const generatorKeyId = await newKeyArn();
  const keyring = new KmsKeyringNode({ generatorKeyId, clientProvider: clientProvider() });
  const plaintext = randomBytes(300_000); // several frames of 4 KiB
  const context = { stream: "yes" };

  // Unsigned algorithm suite, as decryptUnsignedMessageStream requires.
  const unsignedSuite = 0x0478; // ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
  const unsignedEncrypted = await collect(Readable.from([plaintext]).pipe(encryptStream(keyring, { encryptionContext: context, suiteId: unsignedSuite, frameLength: 4096 })));
  const unsignedDecrypted = await collect(Readable.from([unsignedEncrypted]).pipe(decryptUnsignedMessageStream(keyring)));
  t.true(unsignedDecrypted.equals(plaintext));

  // The default suite (committing, ECDSA P-384 signed), piped through stream.pipeline.
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from([plaintext.subarray(0, 100_000), plaintext.subarray(100_000)]),
    encryptStream(keyring, { encryptionContext: context }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) chunks.push(Buffer.from(chunk));
    },
  );
  const signedEncrypted = Buffer.concat(chunks);
  const decrypted = await collect(Readable.from([signedEncrypted]).pipe(decryptStream(keyring)));
  t.true(decrypted.equals(plaintext));
  // The unsigned-only decryptor refuses a signed message.
  await t.throwsAsync(collect(Readable.from([signedEncrypted]).pipe(decryptUnsignedMessageStream(keyring))));
});

test("a second key in eu-west-1 in keyIds: the message decrypts with a keyring that has only that key", async (t) => {
  const generatorKeyId = await newKeyArn("us-east-1");
  const westKeyId = await newKeyArn("eu-west-1");
  t.regex(westKeyId, /^arn:aws:kms:eu-west-1:111122223333:key\//);
  const keyring = new KmsKeyringNode({ generatorKeyId, keyIds: [westKeyId], clientProvider: clientProvider() });
  const plaintext = Buffer.from("readable in either region");

  const { result, messageHeader } = await encrypt(keyring, plaintext, { encryptionContext: { regions: "two" } });
  t.deepEqual(messageHeader.encryptedDataKeys.map((k) => k.providerInfo), [generatorKeyId, westKeyId]);

  const westOnly = new KmsKeyringNode({ keyIds: [westKeyId], clientProvider: clientProvider() });
  const opened = await decrypt(westOnly, result);
  t.deepEqual(opened.plaintext, plaintext);
  const eastOnly = new KmsKeyringNode({ keyIds: [generatorKeyId], clientProvider: clientProvider() });
  t.deepEqual((await decrypt(eastOnly, result)).plaintext, plaintext);

  // The eu-west-1 key does not exist in us-east-1: a keyring whose client supplier ignores the
  // ARN's region (always us-east-1) cannot decrypt with it.
  const alwaysEast = clientProvider();
  const wrongRegion = new KmsKeyringNode({ keyIds: [westKeyId], clientProvider: () => alwaysEast("us-east-1") });
  const notHere = await t.throwsAsync(decrypt(wrongRegion, result));
  t.true(errorChainText(notHere).includes("NotFoundException"), errorChainText(notHere));
});

test("decryption is refused for a principal whose key policy denies kms:Decrypt: AccessDeniedException in the error's chain", async (t) => {
  const iam = identityClient(server.url, server.token);
  const userName = "esdk-no-decrypt";
  const { user } = await iam.createUser({ userName });
  await iam.putUserPolicy({ userName, policyName: "kms", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }) });
  const { accessKey } = await iam.createAccessKey({ userName });
  const credentials = { accessKeyId: accessKey!.accessKeyId, secretAccessKey: accessKey!.secretAccessKey };

  const policy = {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" },
      { Sid: "No decryption for this user", Effect: "Deny", Principal: { AWS: user!.arn }, Action: "kms:Decrypt", Resource: "*" },
    ],
  };
  const generatorKeyId = await newKeyArn("us-east-1", { Policy: JSON.stringify(policy) });

  // The user may still encrypt (GenerateDataKey is not denied)...
  const userKeyring = new KmsKeyringNode({ generatorKeyId, clientProvider: clientProvider(credentials) });
  const { result } = await encrypt(userKeyring, Buffer.from("for someone else's eyes"), { encryptionContext: { who: "admin" } });
  // ...and the administrator may decrypt it...
  t.deepEqual((await decrypt(new KmsKeyringNode({ generatorKeyId, clientProvider: clientProvider() }), result)).plaintext, Buffer.from("for someone else's eyes"));
  // ...but the user may not.
  const refused = await t.throwsAsync(decrypt(userKeyring, result));
  t.true(errorChainText(refused).includes("AccessDeniedException"), errorChainText(refused));

  // The same refusal straight through the AWS SDK, as the SDK's exception.
  const direct = new sdk.KMSClient({ endpoint: server.url, region: "us-east-1", credentials, maxAttempts: 1 });
  const encrypted = await awsKms().send(new sdk.EncryptCommand({ KeyId: generatorKeyId, Plaintext: Buffer.from("x") }));
  const denied = await t.throwsAsync(direct.send(new sdk.DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));
  t.is(denied?.name, "AccessDeniedException");
  t.is((denied as sdk.KMSServiceException).$metadata.httpStatusCode, 400);
});

/** The names, messages and causes of an error and everything it wraps (cause, errors, AggregateError). */
function errorChainText(error: unknown, seen = new Set<unknown>()): string {
  if (error === null || error === undefined || seen.has(error)) return "";
  seen.add(error);
  if (typeof error !== "object") return String(error);
  const e = error as { name?: unknown; message?: unknown; cause?: unknown; errors?: unknown; __type?: unknown };
  const parts = [String(e.name ?? ""), String(e.message ?? ""), String(e.__type ?? "")];
  parts.push(errorChainText(e.cause, seen));
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors as unknown[]) {
      parts.push(errorChainText(inner, seen));
      if (inner && typeof inner === "object" && "errPlus" in inner) parts.push(errorChainText((inner as { errPlus: unknown }).errPlus, seen));
    }
  }
  return parts.filter((p) => p !== "").join(" | ");
}
