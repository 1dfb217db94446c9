import test from "ava";
import { KeyManagerType, KeyState } from "../gen/kms/v1/types_pb.js";
import { connectGrpc, failureOf, type KmsClient } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

const ACCOUNT = "111122223333";
let server: TestServer;
let s3Service: KmsClient;
let plainUser: KmsClient;
test.before(async () => {
  server = await startTestServer({ env: { KMS_SERVICE_PRINCIPALS: JSON.stringify({ [`arn:aws:iam::${ACCOUNT}:user/s3-gateway`]: "s3" }) } });
  const iam = identityClient(server.url, server.token);
  const clientFor = async (userName: string) => {
    await iam.createUser({ userName });
    const { accessKey } = await iam.createAccessKey({ userName });
    return connectGrpc.connect({ url: server.url, token: await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey) });
  };
  s3Service = await clientFor("s3-gateway");
  plainUser = await clientFor("someone");
});
test.after.always(async () => {
  await server?.destroy();
});

const admin = () => connectGrpc.connect(server);
const bytes = new TextEncoder().encode("through the service");

test.serial("the first use of alias/aws/<service> creates the account's AWS managed key, once, rotating yearly", async (t) => {
  const kms = admin();
  t.false((await kms.listAliases({})).aliases.some((a) => a.aliasName === "alias/aws/s3"));
  const firstUses = await Promise.all(Array.from({ length: 5 }, () => kms.describeKey({ keyId: "alias/aws/s3" })));
  const key = firstUses[0]!.keyMetadata!;
  t.true(firstUses.every((d) => d.keyMetadata!.keyId === key.keyId), "concurrent first uses make one key");
  t.is(key.keyManager, KeyManagerType.AWS);
  t.is(key.keyState, KeyState.ENABLED);
  t.regex(key.description, /Default key that protects my s3 resources/);
  t.is((await kms.listAliases({})).aliases.find((a) => a.aliasName === "alias/aws/s3")?.targetKeyId, key.keyId);
  const rotation = await kms.getKeyRotationStatus({ keyId: key.keyId });
  t.true(rotation.keyRotationEnabled);
  t.is(rotation.rotationPeriodInDays, 365);
  const policy = JSON.parse((await kms.getKeyPolicy({ keyId: key.keyId })).policy) as { Statement: Array<{ Condition?: Record<string, Record<string, string>> }> };
  t.is(policy.Statement[0]!.Condition!.StringEquals!["kms:ViaService"], "s3.us-east-1.amazonaws.com");
});

test.serial("only calls through the service may use a managed key; the account's principals, the administrator included, may not directly", async (t) => {
  const ciphertext = (await s3Service.encrypt({ keyId: "alias/aws/s3", plaintext: bytes })).ciphertextBlob;
  t.deepEqual((await s3Service.decrypt({ ciphertextBlob: ciphertext })).plaintext, bytes);
  await t.notThrowsAsync(s3Service.generateDataKey({ keyId: "alias/aws/s3", numberOfBytes: 32 }));
  for (const direct of [admin(), plainUser]) {
    t.is((await failureOf(direct.encrypt({ keyId: "alias/aws/s3", plaintext: bytes }))).exception, "AccessDeniedException");
    t.is((await failureOf(direct.decrypt({ ciphertextBlob: ciphertext }))).exception, "AccessDeniedException");
  }
  // Only the integrated services of this server have managed keys: naming another creates nothing.
  t.is((await failureOf(s3Service.encrypt({ keyId: "alias/aws/ebs", plaintext: bytes }))).exception, "NotFoundException");
  t.is((await failureOf(plainUser.describeKey({ keyId: "alias/aws/anything" }))).exception, "NotFoundException");
  t.false((await admin().listAliases({})).aliases.some((a) => a.aliasName === "alias/aws/ebs" || a.aliasName === "alias/aws/anything"));
});

test.serial("no one changes a managed key's policy, state, rotation, tags or life", async (t) => {
  const kms = admin();
  const keyId = (await kms.describeKey({ keyId: "alias/aws/s3" })).keyMetadata!.keyId;
  const refusals = [
    kms.putKeyPolicy({ keyId, policyName: "default", policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) }),
    kms.disableKey({ keyId }),
    kms.scheduleKeyDeletion({ keyId }),
    kms.disableKeyRotation({ keyId }),
    kms.rotateKeyOnDemand({ keyId }),
    kms.updateKeyDescription({ keyId, description: "mine now" }),
    kms.tagResource({ keyId, tags: [{ tagKey: "owner", tagValue: "me" }] }),
    s3Service.scheduleKeyDeletion({ keyId }),
    kms.createAlias({ aliasName: "alias/my-name-for-it", targetKeyId: keyId }),
  ];
  for (const call of refusals) t.is((await failureOf(call)).exception, "AccessDeniedException");
  const after = (await kms.describeKey({ keyId })).keyMetadata!;
  t.is(after.keyState, KeyState.ENABLED);
  t.regex(after.description, /Default key/);
});
