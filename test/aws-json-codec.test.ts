import { create, equals, ScalarType, type DescEnum, type DescField, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import * as sdk from "@aws-sdk/client-kms";
import { NormalizedSchema } from "@smithy/core/schema";
import test from "ava";
import { Readable } from "node:stream";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { CreateGrantRequestSchema } from "../gen/kms/v1/grants_pb.js";
import { ImportKeyMaterialRequestSchema } from "../gen/kms/v1/import_pb.js";
import { CreateKeyRequestSchema, DescribeKeyResponseSchema, ListKeysResponseSchema, ScheduleKeyDeletionResponseSchema } from "../gen/kms/v1/keys_pb.js";
import { DecryptRequestSchema, EncryptRequestSchema, GenerateDataKeyRequestSchema } from "../gen/kms/v1/symmetric_pb.js";
import { GetPublicKeyResponseSchema } from "../gen/kms/v1/asymmetric_pb.js";
import { TagResourceRequestSchema } from "../gen/kms/v1/tags_pb.js";
import {
  DataKeySpec, EncryptionAlgorithmSpec, ExpirationModelType, GrantOperation, KeyEncryptionMechanism, KeyManagerType, KeySpec,
  KeyState, KeyUsage, OriginType, SigningAlgorithmSpec,
} from "../gen/kms/v1/types_pb.js";
import { AwsProtocolError, errorBody, errorResponse, errorStatus } from "../server/aws/aws-errors.js";
import {
  awsEnumNames, awsMemberName, customerMasterKeySpecs, decodeMessage, decodeRequest, encodeMessage, encodeResponse, operationOf,
  requestMemberAliases, unsupportedAwsOperations, unsupportedRequestMembers,
} from "../server/aws/aws-json-codec.js";

// The SDK warns once per process that its releases after January 2027 need Node 22; the project runs on Node 20.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

/*
 * How the SDK's lists are derived. @aws-sdk/client-kms (3.1164.0) serializes and deserializes
 * with Smithy schemas generated from the KMS service model: the package exports, for every
 * operation X, the static operation schema `X$` ([9, namespace, name, traits, input, output],
 * typed StaticOperationSchema in @smithy/types) and a command class `XCommand`. The SDK's own
 * AWS JSON 1.1 protocol walks these schemas with NormalizedSchema (@smithy/core/schema), sending
 * exactly the members structIterator() yields and reading back only those; this test walks them
 * the same way, so "a member the SDK can send" and "a member the SDK knows" mean exactly what the
 * SDK's serializer does. Enum values come from the SDK's exported enum objects (KeySpec,
 * KeyUsageType, ...). Then every operation is also round-tripped through the real SDK client
 * with a request handler that records the signed request and answers with our encoded response.
 */

const S = sdk as unknown as Record<string, unknown>;
type SchemaRef = Parameters<typeof NormalizedSchema.of>[0];
/** The SDK's static operation schema: [9, namespace, name, traits, input, output] (StaticOperationSchema in @smithy/types). */
type StaticOperationSchema = readonly [9, string, string, unknown, SchemaRef, SchemaRef];

function sdkOperation(name: string): { input: NormalizedSchema; output: NormalizedSchema } | undefined {
  const op = S[`${name}$`] as StaticOperationSchema | undefined;
  if (!op) return undefined;
  return { input: NormalizedSchema.of(op[4]), output: NormalizedSchema.of(op[5]) };
}

/** The SDK's operations: every exported XCommand whose X$ is an operation schema. */
const sdkOperationNames = Object.keys(sdk)
  .filter((k) => k.endsWith("Command") && k !== "Command")
  .map((k) => k.slice(0, -"Command".length))
  .filter((name) => Array.isArray(S[`${name}$`]) && (S[`${name}$`] as unknown[])[0] === 9);

const TIMESTAMP = "google.protobuf.Timestamp";

function subMessage(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") || (field.fieldKind === "map" && field.mapKind === "message")) return field.message;
  return undefined;
}

/** What the SDK schema must say about a member for a field of this kind. */
function kindProblem(field: DescField, m: NormalizedSchema): string | undefined {
  const element = (kind: "scalar" | "enum" | "message", scalar: ScalarType | undefined, message: DescMessage | undefined, s: NormalizedSchema): string | undefined => {
    if (kind === "enum") return s.isStringSchema() ? undefined : "an enum must be a string";
    if (kind === "message") {
      if (message!.typeName === TIMESTAMP) return s.isTimestampSchema() ? undefined : "a Timestamp must be a timestamp";
      return s.isStructSchema() ? undefined : "a message must be a structure";
    }
    if (scalar === ScalarType.STRING) return s.isStringSchema() ? undefined : "a string must be a string";
    if (scalar === ScalarType.BOOL) return s.isBooleanSchema() ? undefined : "a bool must be a boolean";
    if (scalar === ScalarType.BYTES) return s.isBlobSchema() ? undefined : "bytes must be a blob";
    return s.isNumericSchema() ? undefined : "a number must be numeric";
  };
  switch (field.fieldKind) {
    case "scalar":
      return element("scalar", field.scalar, undefined, m);
    case "enum":
      return element("enum", undefined, undefined, m);
    case "message":
      return element("message", undefined, field.message, m);
    case "list":
      if (!m.isListSchema()) return "a repeated field must be a list";
      return element(field.listKind, field.listKind === "scalar" ? field.scalar : undefined, field.listKind === "message" ? field.message : undefined, m.getValueSchema());
    case "map":
      if (!m.isMapSchema()) return "a map field must be a map";
      return element(field.mapKind, field.mapKind === "scalar" ? field.scalar : undefined, field.mapKind === "message" ? field.message : undefined, m.getValueSchema());
  }
}

interface ShapeReport {
  /** Problems: a field without SDK member, a kind mismatch, an SDK input member without field. */
  problems: string[];
  /** SDK output members we never send, by SDK structure: "KeyMetadata.CloudHsmClusterId". */
  unsentOutputMembers: Set<string>;
  /** Proto enums met, for the enum check. */
  enums: Map<string, DescEnum>;
}

function compareShapes(desc: DescMessage, ns: NormalizedSchema, path: string, direction: "input" | "output", report: ShapeReport): void {
  const members = new Map([...ns.structIterator()]);
  const matched = new Set<string>();
  for (const field of desc.fields) {
    if (field.fieldKind === "enum" || ((field.fieldKind === "list" || field.fieldKind === "map") && (field.fieldKind === "list" ? field.listKind : field.mapKind) === "enum")) {
      const e = (field as { enum: DescEnum }).enum;
      report.enums.set(e.typeName, e);
    }
    const name = awsMemberName(field);
    const member = members.get(name);
    if (!member) {
      report.problems.push(`${direction} ${path}.${name} (field ${desc.typeName}.${field.name}) is not a member the SDK knows`);
      continue;
    }
    matched.add(name);
    const problem = kindProblem(field, member);
    if (problem) report.problems.push(`${direction} ${path}.${name}: ${problem}`);
    const sub = subMessage(field);
    if (sub && sub.typeName !== TIMESTAMP && !problem) compareShapes(sub, field.fieldKind === "message" ? member : member.getValueSchema(), `${path}.${name}`, direction, report);
  }
  for (const name of members.keys()) {
    if (matched.has(name)) continue;
    if (direction === "output") {
      report.unsentOutputMembers.add(`${ns.getName()}.${name}`);
      continue;
    }
    const alias = requestMemberAliases[desc.typeName]?.[name];
    const unsupported = unsupportedRequestMembers[desc.typeName]?.[name];
    if (alias === undefined && unsupported === undefined) report.problems.push(`input ${path}.${name}: the SDK can send it, but ${desc.typeName} has no field for it`);
  }
}

function shapeReport(): ShapeReport {
  const report: ShapeReport = { problems: [], unsentOutputMembers: new Set(), enums: new Map() };
  for (const method of KeyManagementService.methods) {
    const op = sdkOperation(method.name);
    if (!op) {
      report.problems.push(`${method.name}: no such operation in the SDK`);
      continue;
    }
    compareShapes(method.input, op.input, method.name, "input", report);
    compareShapes(method.output, op.output, method.name, "output", report);
  }
  return report;
}

test("every operation of the contract is an SDK operation, and every SDK operation is in the contract or knowingly unsupported", (t) => {
  const contract = new Set(KeyManagementService.methods.map((m) => m.name));
  t.true(sdkOperationNames.length > 50, `found only ${sdkOperationNames.length} SDK operations`);
  t.deepEqual([...contract].filter((name) => !sdkOperationNames.includes(name)), []);
  t.deepEqual(sdkOperationNames.filter((name) => !contract.has(name) && !unsupportedAwsOperations.has(name)), []);
  t.deepEqual([...unsupportedAwsOperations].filter((name) => !sdkOperationNames.includes(name) || contract.has(name)), []);
});

test("every member the SDK's serializer can send maps to a request field, and every response field to a member the SDK's deserializer knows", (t) => {
  const report = shapeReport();
  t.deepEqual(report.problems, []);
  // What the SDK knows in responses that we never send: features the contract leaves out, and the
  // deprecated CustomerMasterKeySpec, which encodeMessage mirrors from KeySpec.
  t.deepEqual([...report.unsentOutputMembers].sort(), [
    "GetPublicKeyResponse.CustomerMasterKeySpec",
    "GrantConstraints.SourceArn",
    "GrantListEntry.GranteeServicePrincipal",
    "GrantListEntry.RetiringServicePrincipal",
    "KeyMetadata.CloudHsmClusterId",
    "KeyMetadata.CustomKeyStoreId",
    "KeyMetadata.CustomerMasterKeySpec",
    "KeyMetadata.XksKeyConfiguration",
  ]);
});

test("the irregular-name tables name only members and fields that exist", (t) => {
  for (const [typeName, aliases] of Object.entries(requestMemberAliases)) {
    for (const [member, fieldName] of Object.entries(aliases)) {
      const method = KeyManagementService.methods.find((m) => m.input.typeName === typeName)!;
      t.truthy(method.input.fields.find((f) => f.name === fieldName.field), `${typeName}.${fieldName.field}`);
      t.truthy([...sdkOperation(method.name)!.input.structIterator()].find(([name]) => name === member), `${method.name}.${member}`);
    }
  }
  t.deepEqual([...customerMasterKeySpecs].sort(), Object.values(sdk.CustomerMasterKeySpec).sort());
});

/** The SDK's enum object for a contract enum: same name, but KeyUsage is KeyUsageType. */
const sdkEnumNames: Record<string, string> = { "kms.v1.KeyUsage": "KeyUsageType" };

test("every enum value of the contract has its AWS name in the SDK's enums", (t) => {
  const report = shapeReport();
  t.true(report.enums.size >= 20, `only ${report.enums.size} enums met`);
  const missing: string[] = [];
  for (const [typeName, desc] of report.enums) {
    const sdkName = sdkEnumNames[typeName] ?? desc.name;
    const values = S[sdkName] as Record<string, string> | undefined;
    if (!values) {
      missing.push(`${typeName}: no SDK enum ${sdkName}`);
      continue;
    }
    const known = new Set(Object.values(values));
    const ours = awsEnumNames(desc).toName;
    t.is(ours.size, desc.values.length - 1, `${typeName}: every value but UNSPECIFIED has a name`);
    for (const name of ours.values()) if (!known.has(name)) missing.push(`${typeName}: ${name} is not one of ${sdkName}'s values`);
    const lacking = [...known].filter((v) => !ours.size || ![...ours.values()].includes(v));
    if (lacking.length > 0) t.log(`${sdkName}: the contract lacks ${lacking.join(", ")}`);
  }
  t.deepEqual(missing, []);
});

// ---------------------------------------------------------------------------------------------
// Round trips through the real SDK client.

/** A message with every field set (recursively) to a value that is not the default. */
function populate(desc: DescMessage, seed: number): Message {
  const init: Record<string, unknown> = {};
  const oneofsDone = new Set<string>();
  for (const field of desc.fields) {
    if (field.oneof) {
      if (oneofsDone.has(field.oneof.name)) continue;
      oneofsDone.add(field.oneof.name);
    }
    const value = populateField(field, seed + field.number);
    if (field.oneof) init[field.oneof.localName] = { case: field.localName, value };
    else init[field.localName] = value;
  }
  return create(desc, init as never) as Message;
}

function populateField(field: DescField, seed: number): unknown {
  const one = (kind: "scalar" | "enum" | "message", s: number, scalar?: ScalarType, e?: DescEnum, m?: DescMessage): unknown => {
    if (kind === "enum") {
      const values = e!.values.filter((v) => v.number !== 0);
      return values[s % values.length]!.number;
    }
    if (kind === "message") return m!.typeName === TIMESTAMP ? timestampFromMs(1_700_000_000_000 + s * 1_001) : populate(m!, s);
    switch (scalar) {
      case ScalarType.STRING:
        return `${field.name}-${s}`;
      case ScalarType.BOOL:
        return true;
      case ScalarType.BYTES:
        return new Uint8Array([s & 255, 1, 2, 250, 251, 252]);
      default:
        return 1 + (s % 50);
    }
  };
  switch (field.fieldKind) {
    case "scalar":
      return one("scalar", seed, field.scalar);
    case "enum":
      return one("enum", seed, undefined, field.enum);
    case "message":
      return one("message", seed, undefined, undefined, field.message);
    case "list":
      return [0, 1].map((i) => one(field.listKind, seed + i, field.listKind === "scalar" ? field.scalar : undefined, field.listKind === "enum" ? field.enum : undefined, field.listKind === "message" ? field.message : undefined));
    case "map":
      return Object.fromEntries(
        ["k1", "k2"].map((k, i) => [k, one(field.mapKind, seed + i, field.mapKind === "scalar" ? field.scalar : undefined, field.mapKind === "enum" ? field.enum : undefined, field.mapKind === "message" ? field.message : undefined)]),
      );
  }
}

/** Our AWS JSON turned into an SDK input object: blobs as bytes, timestamps as Dates (by the SDK's schema). */
function toSdkInput(json: unknown, ns: NormalizedSchema): unknown {
  if (ns.isBlobSchema()) return new Uint8Array(Buffer.from(json as string, "base64"));
  if (ns.isTimestampSchema()) return new Date((json as number) * 1000);
  if (ns.isListSchema()) return (json as unknown[]).map((item) => toSdkInput(item, ns.getValueSchema()));
  if (ns.isMapSchema()) return Object.fromEntries(Object.entries(json as Record<string, unknown>).map(([k, v]) => [k, toSdkInput(v, ns.getValueSchema())]));
  if (ns.isStructSchema()) {
    const members = new Map([...ns.structIterator()]);
    return Object.fromEntries(
      Object.entries(json as Record<string, unknown>).map(([k, v]) => {
        const member = members.get(k);
        if (!member) throw new Error(`${ns.getName()} has no member ${k}`);
        return [k, toSdkInput(v, member)];
      }),
    );
  }
  return json;
}

/** An SDK output object turned back into AWS JSON: bytes to base64, Dates to epoch seconds. */
function fromSdkOutput(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(fromSdkOutput);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "$metadata").map(([k, v]) => [k, fromSdkOutput(v)]));
  return value;
}

interface Captured {
  headers: Record<string, string>;
  body: string;
}

/** An SDK client whose requests never leave: the handler records each and answers with `answer`. */
function recordingClient(answer: () => { status: number; body: unknown }) {
  const captured: Captured[] = [];
  const client = new sdk.KMSClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9",
    credentials: { accessKeyId: "AKIAROUNDTRIP0000000", secretAccessKey: "secret" },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: { headers: Record<string, string>; body?: unknown }) {
        // The SDK's JSON body is a Uint8Array subclass that warns when used as a string: read its bytes.
        const raw = request.body as string | Uint8Array | undefined;
        const body = raw === undefined ? "" : typeof raw === "string" ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
        captured.push({ headers: request.headers, body });
        const { status, body: responseBody } = answer();
        return {
          response: {
            statusCode: status,
            headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-1" },
            body: Readable.from([Buffer.from(JSON.stringify(responseBody))]),
          },
        };
      },
    } as never,
  });
  return { client, captured };
}

function command(method: DescMethod, input: unknown) {
  const Command = S[`${method.name}Command`] as new (input: unknown) => Parameters<sdk.KMSClient["send"]>[0];
  return new Command(input);
}

test("every request, fully populated, survives the SDK's serializer and decodeRequest", async (t) => {
  let answer: unknown = {};
  const { client, captured } = recordingClient(() => ({ status: 200, body: answer }));
  for (const method of KeyManagementService.methods) {
    const original = populate(method.input, 3);
    const json = encodeMessage(method.input, original);
    const input = toSdkInput(json, sdkOperation(method.name)!.input);
    answer = encodeResponse(method, create(method.output));
    await client.send(command(method, input));
    const sent = captured.at(-1)!;
    t.is(sent.headers["x-amz-target"], `TrentService.${method.name}`);
    t.is(operationOf(sent.headers["x-amz-target"]), method);
    const decoded = decodeRequest(method, JSON.parse(sent.body));
    t.deepEqual(encodeMessage(method.input, decoded), json, method.name);
    t.true(equals(method.input, decoded as never, original as never), method.name);
  }
});

test("every response, fully populated, survives encodeResponse and the SDK's deserializer", async (t) => {
  let answer: unknown = {};
  const { client } = recordingClient(() => ({ status: 200, body: answer }));
  for (const method of KeyManagementService.methods) {
    const original = populate(method.output, 5);
    answer = encodeResponse(method, original);
    const input = toSdkInput(encodeMessage(method.input, populate(method.input, 1)), sdkOperation(method.name)!.input);
    const output = await client.send(command(method, input));
    const back = decodeMessage(method.output, fromSdkOutput(output));
    t.deepEqual(encodeMessage(method.output, back), encodeMessage(method.output, original), method.name);
    t.true(equals(method.output, back as never, original as never), method.name);
  }
});

test("errorBody answers as AWS does, and the SDK raises the named exception", async (t) => {
  let answer = errorResponse("NotFoundException", "Key 'arn:aws:kms:us-east-1:111122223333:key/x' does not exist");
  const { client } = recordingClient(() => answer);
  const error = await t.throwsAsync(client.send(new sdk.DescribeKeyCommand({ KeyId: "x" })));
  t.true(error instanceof sdk.NotFoundException);
  t.is(error!.name, "NotFoundException");
  t.is(error!.message, "Key 'arn:aws:kms:us-east-1:111122223333:key/x' does not exist");
  t.is((error as sdk.NotFoundException).$metadata.httpStatusCode, 400);

  answer = errorResponse("SerializationException", "Member KeyId must be a string, not a number.");
  const serialization = await t.throwsAsync(client.send(new sdk.DescribeKeyCommand({ KeyId: "x" })));
  t.is(serialization!.name, "SerializationException");
  t.is(serialization!.message, "Member KeyId must be a string, not a number.");

  answer = errorResponse("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.");
  const dryRun = await t.throwsAsync(client.send(new sdk.EncryptCommand({ KeyId: "x", Plaintext: new Uint8Array([1]), DryRun: true })));
  t.true(dryRun instanceof sdk.DryRunOperationException);
  t.is((dryRun as sdk.DryRunOperationException).$metadata.httpStatusCode, 412);

  t.deepEqual(errorBody("DisabledException", "m"), { __type: "DisabledException", message: "m" });
  t.is(errorStatus("KMSInternalException"), 500);
  t.is(errorStatus("MissingAuthenticationTokenException"), 403);
  t.is(errorStatus("InvalidSignatureException"), 400);
  t.is(errorStatus("UnknownOperationException"), 400);
  t.is(errorStatus(new AwsProtocolError("ThrottlingException", "slow down").exception), 400);
});

// ---------------------------------------------------------------------------------------------
// Decoding by example.

function awsError(t: import("ava").ExecutionContext, fn: () => unknown, exception: string, message?: RegExp): void {
  const error = t.throws(fn);
  t.true(error instanceof AwsProtocolError, String(error));
  t.is((error as AwsProtocolError).exception, exception as never, error?.message);
  if (message) t.regex(error!.message, message);
}

test("operationOf finds the RPC of X-Amz-Target and refuses others", (t) => {
  t.is(operationOf("TrentService.Encrypt").name, "Encrypt");
  t.is(operationOf("TrentService.GetKeyLastUsage").name, "GetKeyLastUsage");
  awsError(t, () => operationOf("TrentService.Nope"), "UnknownOperationException", /Unknown operation "TrentService.Nope"/);
  awsError(t, () => operationOf("Encrypt"), "UnknownOperationException");
  awsError(t, () => operationOf("TrentService.encrypt"), "UnknownOperationException");
  awsError(t, () => operationOf("TrentService.constructor"), "UnknownOperationException");
  awsError(t, () => operationOf(undefined), "UnknownOperationException", /Missing X-Amz-Target/);
  awsError(t, () => operationOf("TrentService.CreateCustomKeyStore"), "UnsupportedOperationException");
});

test("decodeRequest maps members, maps, lists, blobs and enums", (t) => {
  const encrypt = decodeRequest(operationOf("TrentService.Encrypt"), {
    KeyId: "alias/app",
    Plaintext: Buffer.from("hello").toString("base64"),
    EncryptionContext: { purpose: "test", "aws:x": "y" },
    GrantTokens: ["g1", "g2"],
    EncryptionAlgorithm: "RSAES_OAEP_SHA_256",
    DryRun: true,
  });
  t.true(equals(EncryptRequestSchema, encrypt as never, create(EncryptRequestSchema, {
    keyId: "alias/app",
    plaintext: new Uint8Array(Buffer.from("hello")),
    encryptionContext: { purpose: "test", "aws:x": "y" },
    grantTokens: ["g1", "g2"],
    encryptionAlgorithm: EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256,
    dryRun: true,
  })));

  const decrypt = decodeRequest(operationOf("TrentService.Decrypt"), {
    CiphertextBlob: "AAEC",
    Recipient: { KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256", AttestationDocument: "AQID" },
    DryRunModifiers: ["IGNORE_CIPHERTEXT"],
  });
  t.true(equals(DecryptRequestSchema, decrypt as never, create(DecryptRequestSchema, {
    ciphertextBlob: new Uint8Array([0, 1, 2]),
    recipient: { keyEncryptionAlgorithm: KeyEncryptionMechanism.RSAES_OAEP_SHA_256, attestationDocument: new Uint8Array([1, 2, 3]) },
    dryRunModifiers: [1],
  })));

  const createKey = decodeRequest(operationOf("TrentService.CreateKey"), {
    KeySpec: "SYMMETRIC_DEFAULT",
    KeyUsage: "ENCRYPT_DECRYPT",
    Origin: "EXTERNAL",
    Tags: [{ TagKey: "team", TagValue: "a" }, { TagKey: "env", TagValue: "" }],
    MultiRegion: false,
    BypassPolicyLockoutSafetyCheck: true,
  });
  t.true(equals(CreateKeyRequestSchema, createKey as never, create(CreateKeyRequestSchema, {
    keySpec: KeySpec.SYMMETRIC_DEFAULT,
    keyUsage: KeyUsage.ENCRYPT_DECRYPT,
    origin: OriginType.EXTERNAL,
    tags: [{ tagKey: "team", tagValue: "a" }, { tagKey: "env", tagValue: "" }],
    bypassPolicyLockoutSafetyCheck: true,
  })));

  const grant = decodeRequest(operationOf("TrentService.CreateGrant"), {
    KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
    GranteePrincipal: "arn:aws:iam::111122223333:role/app",
    Operations: ["Decrypt", "ReEncryptFrom", "GenerateDataKeyPairWithoutPlaintext"],
    Constraints: { EncryptionContextSubset: { tenant: "t1" } },
    Name: "n",
  });
  t.true(equals(CreateGrantRequestSchema, grant as never, create(CreateGrantRequestSchema, {
    keyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
    granteePrincipal: "arn:aws:iam::111122223333:role/app",
    operations: [GrantOperation.DECRYPT, GrantOperation.RE_ENCRYPT_FROM, GrantOperation.GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT],
    constraints: { encryptionContextSubset: { tenant: "t1" } },
    name: "n",
  })));

  const tags = decodeRequest(operationOf("TrentService.TagResource"), { KeyId: "k", Tags: [] });
  t.true(equals(TagResourceRequestSchema, tags as never, create(TagResourceRequestSchema, { keyId: "k" })));
});

test("decodeRequest reads timestamps as epoch seconds, fractions included, and keeps optional fields' presence", (t) => {
  const imported = decodeRequest(operationOf("TrentService.ImportKeyMaterial"), {
    KeyId: "k",
    ImportToken: "AQ==",
    EncryptedKeyMaterial: "Ag==",
    ExpirationModel: "KEY_MATERIAL_EXPIRES",
    ValidTo: 1700000000.123,
  });
  t.true(equals(ImportKeyMaterialRequestSchema, imported as never, create(ImportKeyMaterialRequestSchema, {
    keyId: "k",
    importToken: new Uint8Array([1]),
    encryptedKeyMaterial: new Uint8Array([2]),
    expirationModel: ExpirationModelType.KEY_MATERIAL_EXPIRES,
    validTo: { seconds: 1700000000n, nanos: 123_000_000 },
  })));
  const whole = decodeRequest(operationOf("TrentService.ImportKeyMaterial"), { ValidTo: 1700000000 }) as unknown as { validTo: { seconds: bigint; nanos: number } };
  t.is(whole.validTo.seconds, 1700000000n);
  t.is(whole.validTo.nanos, 0);

  const absent = decodeRequest(operationOf("TrentService.GenerateDataKey"), { KeyId: "k", KeySpec: "AES_256" }) as unknown as { numberOfBytes?: number; keySpec: number };
  t.is(absent.numberOfBytes, undefined);
  t.is(absent.keySpec, DataKeySpec.AES_256);
  const zero = decodeRequest(operationOf("TrentService.GenerateDataKey"), { KeyId: "k", NumberOfBytes: 0 });
  t.true(equals(GenerateDataKeyRequestSchema, zero as never, create(GenerateDataKeyRequestSchema, { keyId: "k", numberOfBytes: 0 })));
  t.is((zero as unknown as { numberOfBytes?: number }).numberOfBytes, 0, "an explicit 0 is kept: optional fields have presence");
});

test("decodeRequest ignores unknown and null members, and an empty body is an empty request", (t) => {
  const method = operationOf("TrentService.DescribeKey");
  const decoded = decodeRequest(method, { KeyId: "k", Unknown: 1, keyId: "lowercase is another member", GrantTokens: null, __proto__: { x: 1 }, constructor: "c", toString: 1 });
  t.deepEqual(encodeMessage(method.input, decoded), { KeyId: "k", GrantTokens: [] });
  t.deepEqual(encodeMessage(method.input, decodeRequest(method, undefined)), { GrantTokens: [] });
  t.deepEqual(encodeMessage(method.input, decodeRequest(method, null)), { GrantTokens: [] });
  t.deepEqual(encodeMessage(method.input, decodeRequest(method, JSON.parse('{"__proto__": {"KeyId": "p"}}'))), { GrantTokens: [] });
});

test("decodeRequest refuses wrong JSON types with SerializationException", (t) => {
  const encrypt = operationOf("TrentService.Encrypt");
  awsError(t, () => decodeRequest(encrypt, []), "SerializationException", /request body must be a structure, not a list/);
  awsError(t, () => decodeRequest(encrypt, "text"), "SerializationException");
  awsError(t, () => decodeRequest(encrypt, { KeyId: 5 }), "SerializationException", /Member KeyId must be a string, not a number/);
  awsError(t, () => decodeRequest(encrypt, { KeyId: "k", Plaintext: 5 }), "SerializationException");
  awsError(t, () => decodeRequest(encrypt, { KeyId: "k", Plaintext: "not base64!" }), "SerializationException", /Plaintext is not valid base64/);
  awsError(t, () => decodeRequest(encrypt, { KeyId: "k", Plaintext: "QUJD=" }), "SerializationException");
  awsError(t, () => decodeRequest(encrypt, { EncryptionContext: ["a"] }), "SerializationException", /must be a map/);
  awsError(t, () => decodeRequest(encrypt, { EncryptionContext: { a: 1 } }), "SerializationException", /EncryptionContext\.a/);
  awsError(t, () => decodeRequest(encrypt, { EncryptionContext: { a: null } }), "SerializationException");
  awsError(t, () => decodeRequest(encrypt, { GrantTokens: "g" }), "SerializationException", /must be a list/);
  awsError(t, () => decodeRequest(encrypt, { GrantTokens: ["g", 2] }), "SerializationException", /GrantTokens\.2/);
  awsError(t, () => decodeRequest(encrypt, { DryRun: "true" }), "SerializationException", /must be a boolean/);
  awsError(t, () => decodeRequest(encrypt, { EncryptionAlgorithm: 1 }), "SerializationException");
  const random = operationOf("TrentService.GenerateRandom");
  awsError(t, () => decodeRequest(random, { NumberOfBytes: "16" }), "SerializationException", /must be an integer/);
  awsError(t, () => decodeRequest(random, { NumberOfBytes: 1.5 }), "SerializationException");
  awsError(t, () => decodeRequest(random, { NumberOfBytes: 2 ** 31 }), "SerializationException");
  awsError(t, () => decodeRequest(random, { Recipient: "r" }), "SerializationException", /Recipient must be a structure/);
  const imported = operationOf("TrentService.ImportKeyMaterial");
  awsError(t, () => decodeRequest(imported, { ValidTo: "2030-01-01T00:00:00Z" }), "SerializationException", /timestamp/);
  awsError(t, () => decodeRequest(imported, { ValidTo: 1e20 }), "SerializationException", /years 1 and 9999/);
  const grant = operationOf("TrentService.CreateGrant");
  awsError(t, () => decodeRequest(grant, { Constraints: { EncryptionContextEquals: "x" } }), "SerializationException", /Constraints\.EncryptionContextEquals/);
  awsError(t, () => decodeRequest(operationOf("TrentService.TagResource"), { Tags: [{ TagKey: 1 }] }), "SerializationException", /Tags\.1\.TagKey/);
});

test("decodeRequest refuses enum values AWS does not have with ValidationException", (t) => {
  awsError(t, () => decodeRequest(operationOf("TrentService.CreateKey"), { KeySpec: "RSA_1024" }), "ValidationException", /Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[SYMMETRIC_DEFAULT, RSA_2048/);
  awsError(t, () => decodeRequest(operationOf("TrentService.CreateKey"), { KeySpec: "UNSPECIFIED" }), "ValidationException");
  awsError(t, () => decodeRequest(operationOf("TrentService.CreateKey"), { KeySpec: "KEY_SPEC_RSA_2048" }), "ValidationException");
  awsError(t, () => decodeRequest(operationOf("TrentService.CreateKey"), { KeySpec: "rsa_2048" }), "ValidationException");
  awsError(t, () => decodeRequest(operationOf("TrentService.CreateGrant"), { Operations: ["Decrypt", "DECRYPT"] }), "ValidationException", /at 'operations\.2\.member'/);
});

test("CustomerMasterKeySpec is KeySpec under its deprecated name; members of features we lack are refused", (t) => {
  const createKey = operationOf("TrentService.CreateKey");
  t.is((decodeRequest(createKey, { CustomerMasterKeySpec: "RSA_2048" }) as unknown as { keySpec: KeySpec }).keySpec, KeySpec.RSA_2048);
  awsError(t, () => decodeRequest(createKey, { CustomerMasterKeySpec: "RSA_2048", KeySpec: "RSA_2048" }), "ValidationException", /cannot specify CustomerMasterKeySpec and KeySpec/);
  awsError(t, () => decodeRequest(createKey, { CustomerMasterKeySpec: "ML_DSA_44" }), "ValidationException", /Value 'ML_DSA_44' at 'customerMasterKeySpec'/);
  t.is((decodeRequest(createKey, { CustomerMasterKeySpec: null, KeySpec: "HMAC_256" }) as unknown as { keySpec: KeySpec }).keySpec, KeySpec.HMAC_256);
  awsError(t, () => decodeRequest(createKey, { CustomKeyStoreId: "cks-1" }), "UnsupportedOperationException", /CustomKeyStoreId is not supported/);
  t.notThrows(() => decodeRequest(createKey, { CustomKeyStoreId: null }));
  awsError(t, () => decodeRequest(operationOf("TrentService.CreateGrant"), { Constraints: { SourceArn: "arn" } }), "UnsupportedOperationException", /Constraints\.SourceArn/);
  awsError(t, () => decodeRequest(operationOf("TrentService.CreateGrant"), { GranteeServicePrincipal: "s3.amazonaws.com" }), "UnsupportedOperationException");
});

// ---------------------------------------------------------------------------------------------
// Encoding by example.

test("encodeResponse writes KeyMetadata as AWS does", (t) => {
  const method = operationOf("TrentService.DescribeKey");
  const response = create(DescribeKeyResponseSchema, {
    keyMetadata: {
      awsAccountId: "111122223333",
      keyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
      arn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      creationDate: timestampFromMs(1_700_000_000_123),
      enabled: false,
      keyUsage: KeyUsage.ENCRYPT_DECRYPT,
      keyState: KeyState.PENDING_DELETION,
      deletionDate: timestampFromMs(1_700_600_000_000),
      origin: OriginType.AWS_KMS,
      keyManager: KeyManagerType.CUSTOMER,
      keySpec: KeySpec.SYMMETRIC_DEFAULT,
      encryptionAlgorithms: [EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT],
      pendingDeletionWindowInDays: 7,
    },
  });
  t.deepEqual(encodeResponse(method, response), {
    KeyMetadata: {
      AWSAccountId: "111122223333",
      KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
      Arn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      CreationDate: 1700000000.123,
      Enabled: false,
      Description: "",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "PendingDeletion",
      DeletionDate: 1700600000,
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      KeySpec: "SYMMETRIC_DEFAULT",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
      PendingDeletionWindowInDays: 7,
    },
  });
  t.is(JSON.stringify(encodeResponse(method, response)).match(/"CreationDate":[^,]*/)![0], '"CreationDate":1700000000.123');
});

test("encodeResponse: CustomerMasterKeySpec only for the specs it has; lists, booleans and optional numbers as AWS sends them", (t) => {
  const publicKey = encodeResponse(operationOf("TrentService.GetPublicKey"), create(GetPublicKeyResponseSchema, {
    keyId: "k",
    publicKey: new Uint8Array([48, 1]),
    keySpec: KeySpec.ML_DSA_65,
    keyUsage: KeyUsage.SIGN_VERIFY,
    signingAlgorithms: [SigningAlgorithmSpec.ML_DSA_SHAKE_256],
  }));
  t.deepEqual(publicKey, { KeyId: "k", PublicKey: "MAE=", KeySpec: "ML_DSA_65", KeyUsage: "SIGN_VERIFY", SigningAlgorithms: ["ML_DSA_SHAKE_256"] });

  t.deepEqual(encodeResponse(operationOf("TrentService.ListKeys"), create(ListKeysResponseSchema, {})), { Keys: [], Truncated: false });
  t.deepEqual(encodeResponse(operationOf("TrentService.ListKeys"), create(ListKeysResponseSchema, { keys: [{ keyId: "a", keyArn: "arn:a" }], truncated: true, nextMarker: "m" })), {
    Keys: [{ KeyId: "a", KeyArn: "arn:a" }],
    NextMarker: "m",
    Truncated: true,
  });
  t.deepEqual(encodeResponse(operationOf("TrentService.ScheduleKeyDeletion"), create(ScheduleKeyDeletionResponseSchema, {
    keyId: "arn:k",
    deletionDate: timestampFromMs(1_700_000_000_000),
    keyState: KeyState.PENDING_DELETION,
    pendingWindowInDays: 30,
  })), { KeyId: "arn:k", DeletionDate: 1700000000, KeyState: "PendingDeletion", PendingWindowInDays: 30 });
  t.deepEqual(encodeResponse(operationOf("TrentService.EnableKey"), create(operationOf("TrentService.EnableKey").output)), {});
});

test("a map key named __proto__ (an encryption context may have one) survives encoding, not only decoding", (t) => {
  const request = create(CreateGrantRequestSchema, { keyId: "k", constraints: { encryptionContextEquals: { ["__proto__"]: "tenant-a" } } });
  const encoded = JSON.parse(JSON.stringify(encodeMessage(CreateGrantRequestSchema, request))) as { Constraints: { EncryptionContextEquals: Record<string, string> } };
  t.deepEqual(Object.entries(encoded.Constraints.EncryptionContextEquals), [["__proto__", "tenant-a"]]);
});
