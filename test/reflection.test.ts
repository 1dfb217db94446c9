import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create, createFileRegistry, fromBinary, getOption, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import test from "ava";
import { ServerReflection, type ServerReflectionRequestSchema, type ServerReflectionResponse } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuditService } from "../gen/kms/v1/audit_service_pb.js";
import { unauthenticated } from "../gen/kms/v1/options_pb.js";
import { startTestServer, type TestServer } from "./support/server.js";

const run = promisify(execFile);
const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));

const SERVICES = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "kms.v1.AuditService",
  "kms.v1.IdentityService",
  "kms.v1.KeyManagementService",
];

let server: TestServer;
/** An empty directory: buf finds no buf.yaml or proto/ there, so all it knows comes from reflection. */
let elsewhere: string;
test.before(async () => {
  server = await startTestServer();
  elsewhere = await mkdtemp(join(tmpdir(), "kms-reflection-"));
});
test.after.always(async () => {
  await server?.destroy();
  if (elsewhere) await rm(elsewhere, { recursive: true, force: true });
});

/** `buf curl` without --schema: the schema comes from the server's reflection service. */
async function bufCurl(args: string[]): Promise<string> {
  const { stdout } = await run(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], { cwd: elsewhere });
  return stdout;
}

async function call(rpc: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const headers = token === undefined ? [] : ["-H", `authorization: Bearer ${token}`];
  return JSON.parse(await bufCurl([...headers, "-d", JSON.stringify(body), `${server.url}/${rpc}`])) as Record<string, unknown>;
}

type Request = MessageInitShape<typeof ServerReflectionRequestSchema>;

/** One bidirectional reflection stream: sends the requests one by one, each after the previous answer. */
async function reflect(version: "v1" | "v1alpha", requests: Request[], interceptors: Interceptor[] = []): Promise<ServerReflectionResponse[]> {
  const transport = createGrpcTransport({ baseUrl: server.url, interceptors });
  const answers: ServerReflectionResponse[] = [];
  let release = () => {};
  async function* outgoing() {
    for (const request of requests) {
      yield request;
      await new Promise<void>((resolve) => (release = resolve));
    }
  }
  // v1alpha's messages are field for field v1's, so one helper serves both.
  const stream =
    version === "v1"
      ? createClient(ServerReflection, transport).serverReflectionInfo(outgoing())
      : (createClient(ServerReflectionV1Alpha, transport).serverReflectionInfo(outgoing() as never) as unknown as AsyncIterable<ServerReflectionResponse>);
  for await (const answer of stream) {
    answers.push(answer);
    release();
  }
  return answers;
}

/** A registry of the descriptors a reflection answer held: it builds only if they are complete. */
function registryOf(files: FileDescriptorProto[]) {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered: FileDescriptorProto[] = [];
  const visit = (file: FileDescriptorProto | undefined) => {
    if (!file || ordered.includes(file)) return;
    file.dependency.forEach((name) => visit(byName.get(name)));
    ordered.push(file);
  };
  files.forEach(visit);
  // Imports first, as a FileDescriptorSet from protoc has them.
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

function descriptors(answer: ServerReflectionResponse | undefined): FileDescriptorProto[] {
  if (answer?.messageResponse.case !== "fileDescriptorResponse") throw new Error(`expected descriptors, got ${answer?.messageResponse.case}`);
  return answer.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
}

test("buf curl --list-services and --list-methods see every service through reflection alone", async (t) => {
  const services = (await bufCurl(["--list-services", server.url])).trim().split("\n");
  t.deepEqual([...services].sort(), SERVICES);
  const methods = (await bufCurl(["--list-methods", server.url])).trim().split("\n");
  for (const method of ["kms.v1.IdentityService/Login", "kms.v1.KeyManagementService/Encrypt", "kms.v1.AuditService/ListAuditRecords", "grpc.health.v1.Health/Watch"]) {
    t.true(methods.includes(method), method);
  }
});

test("buf curl with reflection only: log in, create a key, encrypt and decrypt", async (t) => {
  const login = (await call("kms.v1.IdentityService/Login", { accessKeyId: server.admin.access_key_id, secretAccessKey: server.admin.secret_access_key })) as { credentials: { sessionToken: string } };
  const token = login.credentials.sessionToken;
  const created = (await call("kms.v1.KeyManagementService/CreateKey", { description: "by reflection" }, token)) as { keyMetadata: { keyId: string; keyState: string } };
  t.is(created.keyMetadata.keyState, "KEY_STATE_ENABLED");
  const plaintext = Buffer.from("hello through reflection").toString("base64");
  const encrypted = (await call("kms.v1.KeyManagementService/Encrypt", { keyId: created.keyMetadata.keyId, plaintext, encryptionContext: { via: "reflection" } }, token)) as { ciphertextBlob: string };
  const decrypted = await call("kms.v1.KeyManagementService/Decrypt", { ciphertextBlob: encrypted.ciphertextBlob, encryptionContext: { via: "reflection" } }, token);
  t.is(decrypted.plaintext, plaintext);
  t.is(decrypted.keyId, `arn:aws:kms:us-east-1:111122223333:key/${created.keyMetadata.keyId}`);
});

test("buf curl can also use the v1alpha reflection service", async (t) => {
  const answer = JSON.parse(await bufCurl(["--reflect-protocol", "grpc-v1alpha", "-d", "{}", `${server.url}/grpc.health.v1.Health/Check`])) as { status: string };
  t.is(answer.status, "SERVING");
});

for (const version of ["v1", "v1alpha"] as const) {
  test(`${version}: list_services, and the file of a method with its transitive imports, without credentials`, async (t) => {
    const [list, byMethod, again] = await reflect(version, [
      { host: "h", messageRequest: { case: "listServices", value: "" } },
      { messageRequest: { case: "fileContainingSymbol", value: "kms.v1.KeyManagementService.Encrypt" } },
      { messageRequest: { case: "fileContainingSymbol", value: "kms.v1.KeyManagementService" } },
    ]);
    t.is(list?.validHost, "h");
    t.is(list?.originalRequest?.messageRequest.case, "listServices");
    if (list?.messageResponse.case !== "listServicesResponse") return t.fail(list?.messageResponse.case);
    t.deepEqual(list.messageResponse.value.service.map((s) => s.name).sort(), SERVICES);

    const files = descriptors(byMethod);
    t.is(files[0]?.name, "kms/v1/key_management_service.proto");
    const names = files.map((f) => f.name);
    for (const name of ["kms/v1/symmetric.proto", "kms/v1/options.proto", "kms/v1/types.proto", "google/protobuf/descriptor.proto"]) t.true(names.includes(name), name);
    t.is(new Set(names).size, names.length, "each file once");
    // The descriptors are complete: a registry builds from them, and the contract's options read.
    const kms = registryOf(files).getService("kms.v1.KeyManagementService");
    t.truthy(kms?.methods.find((m) => m.name === "Encrypt"));
    // On the same stream, imports already sent are not sent again; the file asked for is.
    t.deepEqual(descriptors(again).map((f) => f.name), ["kms/v1/key_management_service.proto"]);
  });
}

test("file_containing_symbol finds messages, nested types, enums, enum values, fields and services", async (t) => {
  const symbols: Array<[string, string]> = [
    ["kms.v1.EncryptRequest", "kms/v1/symmetric.proto"],
    [".kms.v1.EncryptRequest", "kms/v1/symmetric.proto"],
    ["kms.v1.EncryptRequest.plaintext", "kms/v1/symmetric.proto"],
    ["grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
    ["grpc.health.v1.HealthCheckResponse.NOT_SERVING", "grpc/health/v1/health.proto"],
    ["grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"],
    ["kms.v1.ErrorDetail", "kms/v1/error.proto"],
    ["kms.v1.unauthenticated", "kms/v1/options.proto"],
    ["google.protobuf.MethodOptions", "google/protobuf/descriptor.proto"],
    ["grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto"],
  ];
  const answers = await reflect(
    "v1",
    symbols.map(([symbol]) => ({ messageRequest: { case: "fileContainingSymbol", value: symbol } })),
  );
  symbols.forEach(([symbol, file], i) => t.is(descriptors(answers[i])[0]?.name, file, symbol));
});

test("file_by_filename, file_containing_extension and all_extension_numbers_of_type for the contract's options", async (t) => {
  const [byName, extension, methodOptions, fieldOptions] = await reflect("v1", [
    { messageRequest: { case: "fileByFilename", value: "grpc/health/v1/health.proto" } },
    { messageRequest: { case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 51003 } } },
    { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" } },
    { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" } },
  ]);
  t.deepEqual(descriptors(byName).map((f) => f.name), ["grpc/health/v1/health.proto", "kms/v1/options.proto", "google/protobuf/descriptor.proto"]);
  const options = descriptors(extension);
  t.is(options[0]?.name, "kms/v1/options.proto");
  // The options survive serialization: Login is marked unauthenticated in the served descriptor.
  const identity = descriptors((await reflect("v1", [{ messageRequest: { case: "fileContainingSymbol", value: "kms.v1.IdentityService" } }]))[0]);
  const login = registryOf(identity).getService("kms.v1.IdentityService")!.methods.find((m) => m.name === "Login")!;
  t.true(getOption(login, unauthenticated));
  if (methodOptions?.messageResponse.case !== "allExtensionNumbersResponse" || fieldOptions?.messageResponse.case !== "allExtensionNumbersResponse") return t.fail();
  t.is(methodOptions.messageResponse.value.baseTypeName, "google.protobuf.MethodOptions");
  t.deepEqual(methodOptions.messageResponse.value.extensionNumber, [51001, 51003, 51004]);
  t.deepEqual(fieldOptions.messageResponse.value.extensionNumber, [51002]);
});

test("an unknown symbol, file, extension or type is an error_response NOT_FOUND, and the stream goes on", async (t) => {
  for (const version of ["v1", "v1alpha"] as const) {
    const answers = await reflect(version, [
      { messageRequest: { case: "fileContainingSymbol", value: "kms.v1.NoSuchThing" } },
      { messageRequest: { case: "fileByFilename", value: "kms/v1/nope.proto" } },
      { messageRequest: { case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 9 } } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "kms.v1.Nope" } },
      { messageRequest: { case: "listServices", value: "" } },
    ]);
    for (const answer of answers.slice(0, 4)) {
      if (answer.messageResponse.case !== "errorResponse") return t.fail(`${version}: ${answer.messageResponse.case}`);
      t.is(answer.messageResponse.value.errorCode, Code.NotFound); // 5, as in gRPC
      t.regex(answer.messageResponse.value.errorMessage, /not found/);
    }
    t.is(answers[4]?.messageResponse.case, "listServicesResponse");
  }
});

test("reflection is neither authenticated nor audited", async (t) => {
  // A bad token does not matter: reflection never looks at it.
  const badToken: Interceptor = (next) => (req) => (req.header.set("authorization", "Bearer not-a-token"), next(req));
  const [answer] = await reflect("v1", [{ messageRequest: { case: "listServices", value: "" } }], [badToken]);
  t.is(answer?.messageResponse.case, "listServicesResponse");
  await reflect("v1alpha", [{ messageRequest: { case: "listServices", value: "" } }]);
  const auth: Interceptor = (next) => (req) => (req.header.set("authorization", `Bearer ${server.token}`), next(req));
  const audit = createClient(AuditService, createGrpcTransport({ baseUrl: server.url, interceptors: [auth] }));
  const { records } = await audit.listAuditRecords({ limit: 1000 });
  t.true(records.length > 0);
  t.false(records.some((r) => r.rpc.startsWith("grpc.reflection.")));
});

test("a graceful close ends an open reflection stream at once", async (t) => {
  const own = await startTestServer();
  let closed = false;
  t.teardown(() => (closed ? rm(own.dataDir, { recursive: true, force: true }) : own.destroy()));
  const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: own.url }));
  let sendMore = () => {};
  async function* outgoing() {
    yield { messageRequest: { case: "listServices" as const, value: "" } };
    // The client keeps its side open, as an interactive tool does.
    await new Promise<void>((resolve) => (sendMore = resolve));
  }
  const iterator = client.serverReflectionInfo(outgoing())[Symbol.asyncIterator]();
  t.is((await iterator.next()).value?.messageResponse.case, "listServicesResponse");
  const started = Date.now();
  const end = iterator.next();
  await own.close();
  closed = true;
  t.true(Date.now() - started < 5_000, `close took ${Date.now() - started} ms`);
  t.true((await end).done);
  sendMore();
});
