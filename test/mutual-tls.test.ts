import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { IdentityService } from "../gen/kms/v1/identity_service_pb.js";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { kmsErrorOf } from "./support/clients.js";
import { makeDataDir, startTestServer } from "./support/server.js";

const run = promisify(execFile);

/** A CA, a server certificate and client certificates signed by it (and one signed by a stranger), made with the openssl CLI. */
async function makePki(dir: string) {
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  const ecKey = (name: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  for (const ca of ["ca", "stranger-ca"]) {
    await ecKey(ca);
    await openssl("req", "-x509", "-new", "-key", `${ca}.key`, "-subj", `/CN=${ca}`, "-days", "1", "-out", `${ca}.pem`);
  }
  const issue = async (name: string, ca: string, ext: string) => {
    await ecKey(name);
    await openssl("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-out", `${name}.csr`);
    await writeFile(join(dir, `${name}.ext`), ext);
    await openssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "1", "-extfile", `${name}.ext`, "-out", `${name}.pem`);
  };
  await issue("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await issue("billing-service", "ca", "extendedKeyUsage=clientAuth\n");
  await issue("unmapped-service", "ca", "extendedKeyUsage=clientAuth\n");
  await issue("impostor", "stranger-ca", "extendedKeyUsage=clientAuth\n");
  const read = (f: string) => readFile(join(dir, f));
  return { read };
}

test("with KMS_TLS_CLIENT_CA a client certificate mapped to a user authenticates as that user", async (t) => {
  const dir = await makeDataDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pki = await makePki(dir);
  await writeFile(join(dir, "principals.json"), JSON.stringify({ "billing-service": "arn:aws:iam::111122223333:user/billing", impostor: "arn:aws:iam::111122223333:user/billing" }));
  const server = await startTestServer({
    dataDir: join(dir, "data"),
    trustedCaFile: join(dir, "ca.pem"),
    env: { KMS_TLS_CERT: join(dir, "server.pem"), KMS_TLS_KEY: join(dir, "server.key"), KMS_TLS_CLIENT_CA: join(dir, "ca.pem"), KMS_TLS_CLIENT_PRINCIPALS: join(dir, "principals.json") },
  });
  t.teardown(() => server.close());
  const ca = await pki.read("ca.pem");

  // The administrator (bearer token over TLS) creates the user and lets it use KMS.
  const auth: Interceptor = (next) => (req) => (req.header.set("authorization", `Bearer ${server.token}`), next(req));
  const iam = createClient(IdentityService, createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca }, interceptors: [auth] }));
  await iam.createUser({ userName: "billing" });
  await iam.putUserPolicy({ userName: "billing", policyName: "kms", policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }) });

  const withCert = async (name: string) => ({ ca, cert: await pki.read(`${name}.pem`), key: await pki.read(`${name}.key`) });
  const billing = await withCert("billing-service");
  const who = await createClient(IdentityService, createGrpcTransport({ baseUrl: server.url, nodeOptions: billing })).getCallerIdentity({});
  t.is(who.arn, "arn:aws:iam::111122223333:user/billing");
  const kms = createClient(KeyManagementService, createGrpcTransport({ baseUrl: server.url, nodeOptions: billing }));
  const { keyMetadata } = await kms.createKey({});
  t.is(keyMetadata?.awsAccountId, "111122223333");

  const unmapped = createClient(KeyManagementService, createGrpcTransport({ baseUrl: server.url, nodeOptions: await withCert("unmapped-service") }));
  t.is(kmsErrorOf(await t.throwsAsync(unmapped.listKeys({}))).exception, "UnrecognizedClientException");
  // A certificate from another CA is not verified, so its CN counts for nothing, even if mapped.
  const impostor = createClient(KeyManagementService, createGrpcTransport({ baseUrl: server.url, nodeOptions: await withCert("impostor") }));
  t.is(kmsErrorOf(await t.throwsAsync(impostor.listKeys({}))).exception, "MissingAuthenticationTokenException");
  const anonymous = createClient(KeyManagementService, createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca } }));
  t.is(kmsErrorOf(await t.throwsAsync(anonymous.listKeys({}))).exception, "MissingAuthenticationTokenException");
});
