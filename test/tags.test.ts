import test from "ava";
import { allClients, connectGrpc, failureOf } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const tag = (tagKey: string, tagValue: string) => ({ tagKey, tagValue });

for (const kind of allClients) {
  test(`${kind.name}: TagResource adds and replaces tags, UntagResource removes them, ListResourceTags pages in key order`, async (t) => {
    const kms = kind.connect(server);
    const keyId = (await kms.createKey({ tags: [tag("team", "payments")] })).keyMetadata!.keyId;
    await kms.tagResource({ keyId, tags: [tag("env", "prod"), tag("team", "risk"), tag("cost-center", "")] });
    t.deepEqual((await kms.listResourceTags({ keyId })).tags.map((x) => [x.tagKey, x.tagValue]), [["cost-center", ""], ["env", "prod"], ["team", "risk"]]);
    const first = await kms.listResourceTags({ keyId, limit: 2 });
    t.true(first.truncated);
    t.deepEqual(first.tags.map((x) => x.tagKey), ["cost-center", "env"]);
    const second = await kms.listResourceTags({ keyId, limit: 2, marker: first.nextMarker });
    t.false(second.truncated);
    t.deepEqual(second.tags.map((x) => x.tagKey), ["team"]);
    await kms.untagResource({ keyId, tagKeys: ["env", "not-there"] });
    t.deepEqual((await kms.listResourceTags({ keyId })).tags.map((x) => x.tagKey), ["cost-center", "team"]);
  });
}

test("tag refusals are TagException or ValidationException and change nothing", async (t) => {
  const kms = connectGrpc.connect(server);
  const keyId = (await kms.createKey({ tags: [tag("keep", "me")] })).keyMetadata!.keyId;
  const refusals: Array<[Promise<unknown>, string]> = [
    [kms.tagResource({ keyId, tags: [tag("aws:owner", "x")] }), "TagException"],
    [kms.tagResource({ keyId, tags: [tag("", "x")] }), "TagException"],
    [kms.tagResource({ keyId, tags: [tag("k".repeat(129), "x")] }), "TagException"],
    [kms.tagResource({ keyId, tags: [tag("k", "v".repeat(257))] }), "TagException"],
    [kms.tagResource({ keyId, tags: [tag("dup", "1"), tag("dup", "2")] }), "TagException"],
    [kms.tagResource({ keyId, tags: Array.from({ length: 50 }, (_, i) => tag(`t${i}`, "v")) }), "TagException"],
    [kms.tagResource({ keyId, tags: [] }), "ValidationException"],
    [kms.untagResource({ keyId, tagKeys: [] }), "ValidationException"],
    [kms.listResourceTags({ keyId, marker: "bm90LWEtbWFya2Vy" }), "InvalidMarkerException"],
    [kms.tagResource({ keyId: "alias/nope", tags: [tag("a", "b")] }), "NotFoundException"],
  ];
  for (const [call, exception] of refusals) t.is((await failureOf(call)).exception, exception);
  t.deepEqual((await kms.listResourceTags({ keyId })).tags.map((x) => [x.tagKey, x.tagValue]), [["keep", "me"]]);
  // 49 more tags make 50 in all: allowed.
  await kms.tagResource({ keyId, tags: Array.from({ length: 49 }, (_, i) => tag(`t${i}`, "v")) });
  t.is((await kms.listResourceTags({ keyId, limit: 50 })).tags.length, 50);
});

test("attribute-based access: aws:ResourceTag follows TagResource, and aws:RequestTag / aws:TagKeys decide who may tag", async (t) => {
  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "abac-user" });
  await iam.putUserPolicy({
    userName: "abac-user",
    policyName: "by-tag",
    policyDocument: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "kms:Encrypt", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/team": "payments" } } },
        { Effect: "Allow", Action: "kms:TagResource", Resource: "*", Condition: { StringEquals: { "aws:RequestTag/env": ["dev", "test"] }, "ForAllValues:StringEquals": { "aws:TagKeys": ["env"] } } },
        { Effect: "Deny", Action: "kms:Encrypt", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/frozen": "true" } } },
      ],
    }),
  });
  const { accessKey } = await iam.createAccessKey({ userName: "abac-user" });
  const user = connectGrpc.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) });
  const admin = connectGrpc.connect(server);
  const keyId = (await admin.createKey({})).keyMetadata!.keyId;
  const plaintext = new Uint8Array([1, 2, 3]);

  t.is((await failureOf(user.encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");
  await admin.tagResource({ keyId, tags: [tag("team", "payments")] });
  await t.notThrowsAsync(user.encrypt({ keyId, plaintext }));
  await admin.tagResource({ keyId, tags: [tag("frozen", "true")] });
  t.is((await failureOf(user.encrypt({ keyId, plaintext }))).exception, "AccessDeniedException");
  await admin.untagResource({ keyId, tagKeys: ["frozen"] });
  await t.notThrowsAsync(user.encrypt({ keyId, plaintext }));

  await t.notThrowsAsync(user.tagResource({ keyId, tags: [tag("env", "dev")] }));
  t.is((await failureOf(user.tagResource({ keyId, tags: [tag("env", "prod")] }))).exception, "AccessDeniedException");
  t.is((await failureOf(user.tagResource({ keyId, tags: [tag("env", "dev"), tag("team", "other")] }))).exception, "AccessDeniedException");
  t.deepEqual((await admin.listResourceTags({ keyId })).tags.map((x) => [x.tagKey, x.tagValue]), [["env", "dev"], ["team", "payments"]]);
});

test("CreateKey with tags needs kms:TagResource as well as kms:CreateKey, and a refused one creates nothing", async (t) => {
  const iam = identityClient(server.url, server.token);
  await iam.createUser({ userName: "creator" });
  const allow = (actions: string[]) => iam.putUserPolicy({ userName: "creator", policyName: "create", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] }) });
  const { accessKey } = await iam.createAccessKey({ userName: "creator" });
  const user = connectGrpc.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) });
  const admin = connectGrpc.connect(server);
  const keyCount = async () => (await admin.listKeys({ limit: 1000 })).keys.length;

  await allow(["kms:CreateKey"]);
  await t.notThrowsAsync(user.createKey({}));
  const before = await keyCount();
  const refused = await failureOf(user.createKey({ tags: [tag("team", "a")] }));
  t.is(refused.exception, "AccessDeniedException");
  t.regex(refused.message, /kms:TagResource on resource: \*/);
  t.is(await keyCount(), before);
  await allow(["kms:CreateKey", "kms:TagResource"]);
  const created = (await user.createKey({ tags: [tag("team", "a")] })).keyMetadata!;
  t.deepEqual((await admin.listResourceTags({ keyId: created.keyId })).tags.map((x) => [x.tagKey, x.tagValue]), [["team", "a"]]);
});
