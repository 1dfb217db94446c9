import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { makeDataDir, startTestServer } from "./support/server.js";

const run = promisify(execFile);

test("with KMS_TLS_CERT and KMS_TLS_KEY the same port serves gRPC over HTTP/2 and Connect over HTTP/1.1 with TLS", async (t) => {
  const dir = await makeDataDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert]);
  const server = await startTestServer({ dataDir: join(dir, "data"), env: { KMS_TLS_CERT: cert, KMS_TLS_KEY: key } });
  t.teardown(() => server.close());
  t.regex(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = await readFile(cert);

  const interceptors: Interceptor[] = [(next) => (req) => (req.header.set("authorization", `Bearer ${server.token}`), next(req))];
  const grpc = createClient(KeyManagementService, createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca }, interceptors }));
  const { keyMetadata } = await grpc.createKey({});
  const enc = await grpc.encrypt({ keyId: keyMetadata!.keyId, plaintext: new Uint8Array([1, 2, 3]) });

  const connect = createClient(KeyManagementService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { ca }, interceptors }));
  const dec = await connect.decrypt({ ciphertextBlob: enc.ciphertextBlob });
  t.deepEqual([...dec.plaintext], [1, 2, 3]);

  // A client that does not trust the certificate is refused.
  const untrusting = createClient(KeyManagementService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  await t.throwsAsync(untrusting.listKeys({}));
});
