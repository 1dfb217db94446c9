import test from "ava";
import { connectGrpc, failureOf } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const ACCOUNT = "111122223333";
const plaintext = new TextEncoder().encode("abac");

/** A key whose policy lets user `name` Encrypt only under the given condition (plus the root statement for the admin). */
async function keyForUser(name: string, condition: Record<string, unknown>) {
  const iam = identityClient(server.url, server.token);
  const { user } = await iam.createUser({ userName: name });
  const { accessKey } = await iam.createAccessKey({ userName: name });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  const policy = {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
      { Effect: "Allow", Principal: { AWS: user!.arn }, Action: "kms:Encrypt", Resource: "*", Condition: condition },
    ],
  };
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({ policy: JSON.stringify(policy) })).keyMetadata!.keyId;
  return { admin, keyId, kms: connectGrpc.connect({ url: server.url, token }) };
}

test("kms:ResourceAliases: a key is usable once it carries the alias the policy asks for", async (t) => {
  const { admin, keyId, kms } = await keyForUser("finance-app", { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/finance" } });
  t.is((await failureOf(kms.encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");
  await admin.createAlias({ aliasName: "alias/finance", targetKeyId: keyId });
  await t.notThrowsAsync(kms.encrypt({ keyId, plaintext }));
  await admin.deleteAlias({ aliasName: "alias/finance" });
  t.is((await failureOf(kms.encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");
});

test("kms:RequestAlias: the key must be named by the alias, not by its id", async (t) => {
  const { admin, keyId, kms } = await keyForUser("alias-only-app", { StringEquals: { "kms:RequestAlias": "alias/by-name" } });
  await admin.createAlias({ aliasName: "alias/by-name", targetKeyId: keyId });
  await t.notThrowsAsync(kms.encrypt({ keyId: "alias/by-name", plaintext }));
  await t.notThrowsAsync(kms.encrypt({ keyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/by-name`, plaintext }));
  t.is((await failureOf(kms.encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");
});

test("aws:ResourceTag: tags set at CreateKey decide access (attribute-based access control)", async (t) => {
  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "tagged-app" });
  await iam.putUserPolicy({
    userName: "tagged-app",
    policyName: "by-tag",
    policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/team": "payments" } } }] }),
  });
  const { accessKey } = await iam.createAccessKey({ userName: "tagged-app" });
  const kms = connectGrpc.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) });
  const admin = connectGrpc.connect(server);
  const payments = (await admin.createKey({ tags: [{ tagKey: "team", tagValue: "payments" }] })).keyMetadata!.keyId;
  const other = (await admin.createKey({ tags: [{ tagKey: "team", tagValue: "search" }] })).keyMetadata!.keyId;
  await t.notThrowsAsync(kms.encrypt({ keyId: payments, plaintext }));
  t.is((await failureOf(kms.encrypt({ keyId: other, plaintext }))).exception, "AccessDeniedException");
});
