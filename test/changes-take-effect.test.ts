import test from "ava";
import { AccessKeyStatus } from "../gen/kms/v1/identity_pb.js";
import { connectGrpc, failureOf } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const plaintext = new TextEncoder().encode("warm");

/** Calls enough times that every read on the request's path is cached. */
async function warm(call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 5; i++) await call();
}

test("disabling a key takes effect on the very next request, and enabling it again too", async (t) => {
  const kms = connectGrpc.connect(server);
  const keyId = (await kms.createKey({})).keyMetadata!.keyId;
  await warm(() => kms.encrypt({ keyId, plaintext }));
  await kms.disableKey({ keyId });
  t.is((await failureOf(kms.encrypt({ keyId, plaintext }))).exception, "DisabledException");
  await kms.enableKey({ keyId });
  await t.notThrowsAsync(kms.encrypt({ keyId, plaintext }));
});

test("a revoked IAM permission, key policy statement or access key takes effect on the very next request", async (t) => {
  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "revoked" });
  await iam.putUserPolicy({ userName: "revoked", policyName: "use", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: "*" }] }) });
  const { accessKey } = await iam.createAccessKey({ userName: "revoked" });
  const kms = connectGrpc.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) });
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;

  await warm(() => kms.encrypt({ keyId, plaintext }));
  await iam.deleteUserPolicy({ userName: "revoked", policyName: "use" });
  t.is((await failureOf(kms.encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");

  await iam.putUserPolicy({ userName: "revoked", policyName: "use", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: "*" }] }) });
  await warm(() => kms.encrypt({ keyId, plaintext }));
  const { policy } = await admin.getKeyPolicy({ keyId });
  const denied = JSON.parse(policy) as { Statement: unknown[] };
  denied.Statement.push({ Effect: "Deny", Principal: { AWS: "arn:aws:iam::111122223333:user/revoked" }, Action: "kms:Encrypt", Resource: "*" });
  await admin.putKeyPolicy({ keyId, policy: JSON.stringify(denied) });
  t.is((await failureOf(kms.encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");

  await iam.updateAccessKey({ userName: "revoked", accessKeyId: accessKey!.accessKeyId, status: AccessKeyStatus.INACTIVE });
  t.is((await failureOf(kms.listKeys({}))).exception, "UnrecognizedClientException");
});

test("a verified session token is still refused on the very next request once its user is gone, and a forged secret never rides on it", async (t) => {
  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "leaving" });
  await iam.putUserPolicy({ userName: "leaving", policyName: "use", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:ListKeys", Resource: "*" }] }) });
  const { accessKey } = await iam.createAccessKey({ userName: "leaving" });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  const kms = connectGrpc.connect({ url: server.url, token });
  await warm(() => kms.listKeys({}));

  // The same session id with another secret of the same shape: refused, though the real token is remembered.
  const [prefix, sessionId, secret] = token.split(".");
  const forged = `${prefix}.${sessionId}.${secret!.startsWith("A") ? "B" : "A"}${secret!.slice(1)}`;
  t.is((await failureOf(connectGrpc.connect({ url: server.url, token: forged }).listKeys({}))).exception, "UnrecognizedClientException");
  await t.notThrowsAsync(kms.listKeys({}));

  await iam.deleteAccessKey({ userName: "leaving", accessKeyId: accessKey!.accessKeyId });
  await iam.deleteUserPolicy({ userName: "leaving", policyName: "use" });
  await iam.deleteUser({ userName: "leaving" });
  t.is((await failureOf(kms.listKeys({}))).exception, "UnrecognizedClientException");
});
