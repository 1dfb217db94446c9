import * as sdk from "@aws-sdk/client-kms";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import test from "ava";
import { connectGrpc, failureOf } from "./support/clients.js";
import { identityClient, startTestServer, type TestServer } from "./support/server.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

/** The official AWS SDK, pointed at this server with an access key of its identity service. */
function awsKms(region = "us-east-1", credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  credentials ??= { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key };
  return new sdk.KMSClient({ endpoint: server.url, region, credentials, maxAttempts: 1 });
}

test("@aws-sdk/client-kms: create, encrypt, decrypt, describe, and errors as the SDK's exception classes", async (t) => {
  const kms = awsKms();
  const created = await kms.send(new sdk.CreateKeyCommand({ Description: "from the AWS SDK", Tags: [{ TagKey: "sdk", TagValue: "v3" }] }));
  const keyId = created.KeyMetadata!.KeyId!;
  t.is(created.KeyMetadata!.KeyState, "Enabled");
  t.is(created.KeyMetadata!.AWSAccountId, "111122223333");
  t.true(created.KeyMetadata!.CreationDate instanceof Date);
  const plaintext = new TextEncoder().encode("hello from the AWS SDK");
  const encrypted = await kms.send(new sdk.EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: { app: "sdk" } }));
  t.is(encrypted.KeyId, created.KeyMetadata!.Arn);
  const decrypted = await kms.send(new sdk.DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { app: "sdk" } }));
  t.deepEqual(decrypted.Plaintext, plaintext);
  const missing = await t.throwsAsync(kms.send(new sdk.DescribeKeyCommand({ KeyId: "alias/none" })));
  t.true(missing instanceof sdk.NotFoundException);
  t.regex((missing as sdk.KMSServiceException).$metadata.requestId ?? "", /^[0-9a-f-]{36}$/);
  const wrongContext = await t.throwsAsync(kms.send(new sdk.DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));
  t.true(wrongContext instanceof sdk.InvalidCiphertextException);

  // Interop: the gRPC contract and the AWS endpoint are one service.
  const grpc = connectGrpc.connect(server);
  t.deepEqual((await grpc.decrypt({ ciphertextBlob: encrypted.CiphertextBlob!, encryptionContext: { app: "sdk" } })).plaintext, plaintext);
  const fromGrpc = await grpc.encrypt({ keyId, plaintext });
  t.deepEqual((await kms.send(new sdk.DecryptCommand({ CiphertextBlob: fromGrpc.ciphertextBlob }))).Plaintext, plaintext);
});

test("the credential scope's region selects the keyring; a wrong secret and a user without permission are refused as AWS does", async (t) => {
  const west = awsKms("eu-west-1");
  const keyId = (await west.send(new sdk.CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  t.regex((await west.send(new sdk.DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.Arn!, /:eu-west-1:/);
  t.true((await t.throwsAsync(awsKms("us-east-1").send(new sdk.DescribeKeyCommand({ KeyId: keyId })))) instanceof sdk.NotFoundException);

  const forged = awsKms("us-east-1", { accessKeyId: server.admin.access_key_id, secretAccessKey: "not-the-secret" });
  const refused = await t.throwsAsync(forged.send(new sdk.ListKeysCommand({})));
  t.is(refused.name, "InvalidSignatureException");
  const unknown = awsKms("us-east-1", { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x" });
  t.is((await t.throwsAsync(unknown.send(new sdk.ListKeysCommand({})))).name, "UnrecognizedClientException");

  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "sdk-reader" });
  await iam.putUserPolicy({ userName: "sdk-reader", policyName: "list", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:ListKeys", Resource: "*" }] }) });
  const { accessKey } = await iam.createAccessKey({ userName: "sdk-reader" });
  const reader = awsKms("us-east-1", { accessKeyId: accessKey!.accessKeyId, secretAccessKey: accessKey!.secretAccessKey });
  t.true(Array.isArray((await reader.send(new sdk.ListKeysCommand({}))).Keys));
  const denied = await t.throwsAsync(reader.send(new sdk.CreateKeyCommand({})));
  t.true(denied instanceof sdk.KMSServiceException);
  t.is(denied.name, "AccessDeniedException");
});

test("temporary credentials: a role session from AssumeRole signs with its key and X-Amz-Security-Token, with the role's permissions", async (t) => {
  const iam = identityClient(server.url, server.token);
  const roleName = "sdk-role";
  await iam.createRole({
    roleName,
    assumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:user/admin" }, Action: "sts:AssumeRole" }] }),
  });
  await iam.putRolePolicy({ roleName, policyName: "list", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:ListKeys", Resource: "*" }] }) });
  const { credentials } = await iam.assumeRole({ roleArn: `arn:aws:iam::111122223333:role/${roleName}`, roleSessionName: "sdk" });
  t.regex(credentials!.accessKeyId, /^ASIA[0-9A-F]{32}$/);
  const temporary = { accessKeyId: credentials!.accessKeyId, secretAccessKey: credentials!.secretAccessKey, sessionToken: credentials!.awsSessionToken };
  t.regex(temporary.sessionToken, /^kmsaws1\./);
  const role = awsKms("us-east-1", temporary);
  t.true(Array.isArray((await role.send(new sdk.ListKeysCommand({}))).Keys));
  t.is((await t.throwsAsync(role.send(new sdk.CreateKeyCommand({})))).name, "AccessDeniedException", "the role's policy, not the admin's, decides");

  const other = (await iam.assumeRole({ roleArn: `arn:aws:iam::111122223333:role/${roleName}`, roleSessionName: "other" })).credentials!;
  t.is((await t.throwsAsync(awsKms("us-east-1", { ...temporary, sessionToken: other.awsSessionToken }).send(new sdk.ListKeysCommand({})))).name, "UnrecognizedClientException");
  t.is((await t.throwsAsync(awsKms("us-east-1", { ...temporary, sessionToken: credentials!.sessionToken }).send(new sdk.ListKeysCommand({})))).name, "UnrecognizedClientException", "the bearer token is not the AWS session token");
  const { sessionToken: _dropped, ...withoutToken } = temporary;
  t.is((await t.throwsAsync(awsKms("us-east-1", withoutToken).send(new sdk.ListKeysCommand({})))).name, "UnrecognizedClientException");
  // What travels in X-Amz-Security-Token is no bearer token: seen in a request's headers, it grants nothing.
  t.is((await failureOf(identityClient(server.url, temporary.sessionToken).getCallerIdentity({}))).exception, "UnrecognizedClientException");
  // A revoked session's temporary key stops working at once.
  await identityClient(server.url, credentials!.sessionToken).logout({});
  t.is((await t.throwsAsync(role.send(new sdk.ListKeysCommand({})))).name, "UnrecognizedClientException");
});

test("a signature must cover the operation, and the Authorization header may carry nothing but its three parameters", async (t) => {
  const url = new URL(server.url);
  const signer = new SignatureV4({ service: "kms", region: "us-east-1", sha256: Hash.bind(null, "sha256"), credentials: { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key } });
  const body = "{}";
  const request = {
    method: "POST",
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.ListKeys" },
    body,
  };
  const send = async (headers: Record<string, string>) => {
    const response = await fetch(server.url, { method: "POST", headers, body });
    return { status: response.status, type: ((await response.json()) as { __type?: string }).__type };
  };
  // Signed without x-amz-target: the same signature could be replayed as any other operation.
  const unsignedTarget = await signer.sign(request, { unsignableHeaders: new Set(["x-amz-target"]) });
  t.deepEqual(await send({ ...(unsignedTarget.headers as Record<string, string>), "x-amz-target": "TrentService.DisableKey" }), { status: 400, type: "IncompleteSignatureException" });
  // A smuggled second Credential (for another region) in front of the real one.
  const signed = (await signer.sign(request)).headers as Record<string, string>;
  t.is((await send(signed)).status, 200);
  const smuggled = signed.authorization!.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 X=Credential=A/20000101/eu-west-1/, ");
  t.deepEqual(await send({ ...signed, authorization: smuggled }), { status: 400, type: "IncompleteSignatureException" });
});

test("an expired session's temporary credentials are ExpiredTokenException, as in AWS, so SDKs refresh them", async (t) => {
  let now = Date.now();
  const clocked = await startTestServer({ clock: () => now });
  try {
    const { credentials } = await identityClient(clocked.url, clocked.token).login({ accessKeyId: clocked.admin.access_key_id, secretAccessKey: clocked.admin.secret_access_key, durationSeconds: 900 });
    now += 901_000;
    // Signed at the server's time, so only the session's expiry can refuse it.
    const kms = new sdk.KMSClient({
      endpoint: clocked.url,
      region: "us-east-1",
      credentials: { accessKeyId: credentials!.accessKeyId, secretAccessKey: credentials!.secretAccessKey, sessionToken: credentials!.awsSessionToken },
      maxAttempts: 1,
      systemClockOffset: now - Date.now(),
    });
    t.is((await t.throwsAsync(kms.send(new sdk.ListKeysCommand({})))).name, "ExpiredTokenException");
  } finally {
    await clocked.destroy();
  }
});
