import { execFile } from "node:child_process";
import { createPublicKey, verify } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import test from "ava";
import { ErrorDetailSchema } from "../gen/kms/v1/error_pb.js";
import { startTestServer, type TestServer } from "./support/server.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

/** `buf curl --schema proto` as the README shows it, over gRPC with HTTP/2 prior knowledge. */
async function bufCurl(rpc: string, body: unknown, headers: string[] = []): Promise<Record<string, unknown>> {
  const args = ["curl", "--schema", "proto", "--protocol", "grpc", "--http2-prior-knowledge", ...headers.flatMap((h) => ["-H", h]), "-d", JSON.stringify(body)];
  const path = rpc.includes(".") ? rpc : `kms.v1.KeyManagementService/${rpc}`;
  const { stdout } = await run(buf, [...args, `${server.url}/${path}`], { cwd: root });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The README's first step: log in with the administrator's access key from admin-credentials.json. */
async function loginByHand(): Promise<string> {
  const answer = (await bufCurl("kms.v1.IdentityService/Login", { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key })) as {
    credentials: { sessionToken: string };
  };
  return answer.credentials.sessionToken;
}

test("buf curl: log in, create a key, encrypt and decrypt by hand", async (t) => {
  const auth = `authorization: Bearer ${await loginByHand()}`;
  const bufCurlAs = (rpc: string, body: unknown) => bufCurl(rpc, body, [auth]);
  const created = (await bufCurlAs("CreateKey", { description: "by hand" })) as { keyMetadata: { keyId: string; keyState: string } };
  t.is(created.keyMetadata.keyState, "KEY_STATE_ENABLED");
  const plaintext = Buffer.from("hello from buf curl").toString("base64");
  const encrypted = (await bufCurlAs("Encrypt", { keyId: created.keyMetadata.keyId, plaintext, encryptionContext: { purpose: "readme" } })) as { ciphertextBlob: string };
  t.truthy(encrypted.ciphertextBlob);
  const decrypted = await bufCurlAs("Decrypt", { ciphertextBlob: encrypted.ciphertextBlob, encryptionContext: { purpose: "readme" } });
  t.is(decrypted.plaintext, plaintext);
});

test("buf curl: an error shows its code and the exception name in the detail", async (t) => {
  const error = await t.throwsAsync(bufCurl("DescribeKey", { keyId: "alias/nope" }, [`authorization: Bearer ${server.token}`, "x-kms-region: eu-west-1"]));
  const output = JSON.parse((error as unknown as { stderr: string }).stderr) as { code: string; details: Array<{ type: string; value: string }> };
  t.is(output.code, "not_found");
  t.is(output.details[0]?.type, "kms.v1.ErrorDetail");
  const detail = fromBinary(ErrorDetailSchema, Buffer.from(output.details[0]!.value, "base64"));
  t.is(detail.exception, "NotFoundException");
});

test("buf curl: without a token the call is refused with UNAUTHENTICATED", async (t) => {
  const error = await t.throwsAsync(bufCurl("ListKeys", {}));
  t.is((JSON.parse((error as unknown as { stderr: string }).stderr) as { code: string }).code, "unauthenticated");
});

test("buf curl: the README's signing key signs, and its public key verifies the signature outside", async (t) => {
  const auth = `authorization: Bearer ${await loginByHand()}`;
  const bufCurlAs = (rpc: string, body: unknown) => bufCurl(rpc, body, [auth]);
  const created = (await bufCurlAs("CreateKey", { keySpec: "KEY_SPEC_ECC_NIST_P256", keyUsage: "KEY_USAGE_SIGN_VERIFY" })) as { keyMetadata: { keyId: string; signingAlgorithms: string[] } };
  t.deepEqual(created.keyMetadata.signingAlgorithms, ["SIGNING_ALGORITHM_SPEC_ECDSA_SHA_256"]);
  const keyId = created.keyMetadata.keyId;
  const signed = (await bufCurlAs("Sign", { keyId, message: "aGVsbG8=", signingAlgorithm: "SIGNING_ALGORITHM_SPEC_ECDSA_SHA_256" })) as { signature: string };
  const { publicKey } = (await bufCurlAs("GetPublicKey", { keyId })) as { publicKey: string };
  const key = createPublicKey({ key: Buffer.from(publicKey, "base64"), format: "der", type: "spki" });
  t.true(verify("sha256", Buffer.from("hello"), key, Buffer.from(signed.signature, "base64")));
});
