import { create, ScalarType, type DescEnum, type DescField, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { KeyManagementService } from "../../gen/kms/v1/key_management_service_pb.js";
import { AwsProtocolError } from "./aws-errors.js";

/**
 * The AWS JSON 1.1 protocol of AWS KMS ("TrentService"), derived from the contract by reflection:
 * the operation is the RPC of kms.v1.KeyManagementService with the same name, a member is the
 * field of the same name in PascalCase (KeyId <-> key_id), an enum value is its name without the
 * enum's prefix (KEY_SPEC_RSA_2048 <-> "RSA_2048"), blobs are base64, timestamps epoch seconds.
 * The few places where AWS is not mechanical are the tables below; test/aws-json-codec.test.ts
 * checks every operation, member and enum value against the shapes of @aws-sdk/client-kms.
 */

/** The service prefix of X-Amz-Target. */
export const AWS_JSON_TARGET_PREFIX = "TrentService.";
/** The content type of AWS JSON 1.1 requests and responses. */
export const AWS_JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

// ---------------------------------------------------------------------------------------------
// The irregular names: everything else is derived.

/** Proto field names whose AWS member name is not the mechanical PascalCase of the field name. */
export const memberNameExceptions: Readonly<Record<string, string>> = {
  aws_account_id: "AWSAccountId", // KeyMetadata; mechanical would be "AwsAccountId"
};

/** Enums whose AWS values are PascalCase words (KEY_STATE_PENDING_DELETION <-> "PendingDeletion"), not UPPER_SNAKE. */
export const pascalCaseEnums: ReadonlySet<string> = new Set(["kms.v1.KeyState", "kms.v1.GrantOperation"]);

/** The values of AWS's deprecated CustomerMasterKeySpec: a subset of KeySpec. */
export const customerMasterKeySpecs: ReadonlySet<string> = new Set([
  "SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
  "ECC_SECG_P256K1", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2",
]);

/**
 * AWS request members that are another name of a field: the deprecated CustomerMasterKeySpec of
 * CreateKey is KeySpec under its old name, with fewer values (AWS refuses both at once).
 */
export const requestMemberAliases: Readonly<Record<string, Readonly<Record<string, { readonly field: string; readonly values: ReadonlySet<string> }>>>> = {
  "kms.v1.CreateKeyRequest": { CustomerMasterKeySpec: { field: "key_spec", values: customerMasterKeySpecs } },
};

/**
 * AWS request members of features the contract leaves out: custom key stores, and grants for AWS
 * service principals. Given (not null), they are refused with UnsupportedOperationException rather
 * than ignored: ignoring them would make a different key than the one asked for, a grant wider than
 * the one asked for (Constraints.SourceArn), or list other grants than the ones asked for.
 */
export const unsupportedRequestMembers: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "kms.v1.CreateKeyRequest": { CustomKeyStoreId: "custom key stores are not available", XksKeyId: "external key stores are not available" },
  "kms.v1.GenerateRandomRequest": { CustomKeyStoreId: "custom key stores are not available" },
  "kms.v1.CreateGrantRequest": { GranteeServicePrincipal: "grants for service principals are not available", RetiringServicePrincipal: "grants for service principals are not available" },
  "kms.v1.GrantConstraints": { SourceArn: "grants for service principals are not available" },
  "kms.v1.ListGrantsRequest": { GranteeServicePrincipal: "grants for service principals are not available" },
  "kms.v1.ListRetirableGrantsRequest": { RetiringServicePrincipal: "grants for service principals are not available" },
};

/**
 * Response members AWS still sends under a deprecated name besides the current one: KeyMetadata
 * and GetPublicKey carry CustomerMasterKeySpec next to KeySpec (for the key specs it has).
 */
const responseMemberMirrors: Readonly<Record<string, ReadonlyArray<{ member: string; field: string; values: ReadonlySet<string> }>>> = {
  "kms.v1.KeyMetadata": [{ member: "CustomerMasterKeySpec", field: "key_spec", values: customerMasterKeySpecs }],
  "kms.v1.GetPublicKeyResponse": [{ member: "CustomerMasterKeySpec", field: "key_spec", values: customerMasterKeySpecs }],
};

/**
 * List members AWS leaves out when empty: a key's algorithms are listed only for the usage they
 * belong to. Every other list is sent even when empty ("Keys": [], "Tags": [], ...), as AWS does
 * and as code iterating over a response expects.
 */
const omitWhenEmptyLists: ReadonlySet<string> = new Set([
  "kms.v1.KeyMetadata.encryption_algorithms",
  "kms.v1.KeyMetadata.signing_algorithms",
  "kms.v1.KeyMetadata.key_agreement_algorithms",
  "kms.v1.KeyMetadata.mac_algorithms",
  "kms.v1.KeyMetadata.encapsulation_algorithms",
  "kms.v1.GetPublicKeyResponse.encryption_algorithms",
  "kms.v1.GetPublicKeyResponse.signing_algorithms",
  "kms.v1.GetPublicKeyResponse.key_agreement_algorithms",
  "kms.v1.GetPublicKeyResponse.encapsulation_algorithms",
]);

/** String members AWS sends even when empty: a key's Description is "" when it has none. */
const keepWhenEmptyStrings: ReadonlySet<string> = new Set(["kms.v1.KeyMetadata.description"]);

/**
 * AWS KMS operations the contract leaves out (custom key stores): X-Amz-Target naming one is
 * UnsupportedOperationException, not UnknownOperationException, so AWS clients see a modelled error.
 */
export const unsupportedAwsOperations: ReadonlySet<string> = new Set([
  "ConnectCustomKeyStore", "CreateCustomKeyStore", "DeleteCustomKeyStore", "DescribeCustomKeyStores",
  "DisconnectCustomKeyStore", "UpdateCustomKeyStore",
]);

// ---------------------------------------------------------------------------------------------
// Names.

/** The AWS member name of a field: key_id -> KeyId, aws_account_id -> AWSAccountId. */
export function awsMemberName(field: DescField): string {
  return own(memberNameExceptions, field.name) ?? field.name.split("_").map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("");
}

interface EnumNames {
  readonly toNumber: ReadonlyMap<string, number>;
  readonly toName: ReadonlyMap<number, string>;
}
const enumNamesCache = new WeakMap<DescEnum, EnumNames>();

/** The AWS names of an enum's values (UNSPECIFIED, value 0, has none). */
export function awsEnumNames(desc: DescEnum): EnumNames {
  let names = enumNamesCache.get(desc);
  if (names) return names;
  const prefix = `${desc.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_`;
  const toNumber = new Map<string, number>();
  const toName = new Map<number, string>();
  for (const value of desc.values) {
    if (value.number === 0) continue;
    const bare = value.name.startsWith(prefix) ? value.name.slice(prefix.length) : value.name;
    const aws = pascalCaseEnums.has(desc.typeName) ? bare.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()) : bare;
    toNumber.set(aws, value.number);
    toName.set(value.number, aws);
  }
  names = { toNumber, toName };
  enumNamesCache.set(desc, names);
  return names;
}

interface MemberTable {
  /** AWS member name -> field. */
  readonly byMember: ReadonlyMap<string, DescField>;
}
const memberTableCache = new WeakMap<DescMessage, MemberTable>();

function memberTable(desc: DescMessage): MemberTable {
  let table = memberTableCache.get(desc);
  if (table) return table;
  const byMember = new Map<string, DescField>();
  for (const field of desc.fields) byMember.set(awsMemberName(field), field);
  table = { byMember };
  memberTableCache.set(desc, table);
  return table;
}

// ---------------------------------------------------------------------------------------------
// Operations.

const operations = new Map(KeyManagementService.methods.map((m) => [m.name, m] as const));

/**
 * The RPC of kms.v1.KeyManagementService an `X-Amz-Target: TrentService.<Operation>` header
 * names. A missing or unknown target is UnknownOperationException; an AWS KMS operation the
 * contract leaves out is UnsupportedOperationException.
 */
export function operationOf(target: string | undefined): DescMethod {
  const name = target?.startsWith(AWS_JSON_TARGET_PREFIX) ? target.slice(AWS_JSON_TARGET_PREFIX.length) : undefined;
  const method = name === undefined ? undefined : operations.get(name);
  if (method) return method;
  if (name !== undefined && unsupportedAwsOperations.has(name)) throw new AwsProtocolError("UnsupportedOperationException", `${name} is not supported by this server.`);
  throw new AwsProtocolError("UnknownOperationException", target === undefined || target === "" ? "Missing X-Amz-Target header." : `Unknown operation ${JSON.stringify(target.slice(0, 128))}.`);
}

// ---------------------------------------------------------------------------------------------
// Decoding: AWS JSON -> message.

/**
 * The request message of an operation from its AWS JSON body (already parsed; undefined or null
 * for an empty body). Unknown members are ignored, as AWS ignores them; null members are absent.
 * A member of the wrong JSON type or a blob that is not base64 is SerializationException; an enum
 * value that is not one of AWS's is ValidationException.
 */
export function decodeRequest(method: DescMethod, json: unknown): Message {
  return decodeMessage(method.input, json);
}

/** Any message of the contract from its AWS JSON form (decodeRequest for a message type). */
export function decodeMessage(desc: DescMessage, json: unknown, path = ""): Message {
  if (json === undefined || json === null) json = {};
  if (!isPlainObject(json)) throw serializationError(path, "a structure", json);
  const { byMember } = memberTable(desc);
  const init: Record<string, unknown> = {};
  for (const [member, value] of Object.entries(json)) {
    if (value === null || value === undefined) continue;
    const memberPath = path === "" ? member : `${path}.${member}`;
    let field = byMember.get(member);
    if (!field) {
      const aliasOf = own(own(requestMemberAliases, desc.typeName), member);
      const unsupported = own(own(unsupportedRequestMembers, desc.typeName), member);
      if (aliasOf !== undefined) {
        const current = desc.fields.find((f) => f.name === aliasOf.field)!;
        if (json[awsMemberName(current)] !== undefined && json[awsMemberName(current)] !== null) {
          throw new AwsProtocolError("ValidationException", `You cannot specify ${member} and ${awsMemberName(current)} in the same request. ${member} is deprecated: use ${awsMemberName(current)}.`);
        }
        if (typeof value === "string" && !aliasOf.values.has(value)) throw enumValidationError(value, memberPath, aliasOf.values);
        field = current;
      } else if (unsupported !== undefined) {
        throw new AwsProtocolError("UnsupportedOperationException", `${memberPath} is not supported by this server: ${unsupported}.`);
      } else {
        continue; // unknown members are ignored
      }
    }
    const decoded = decodeField(field, value, memberPath);
    if (field.oneof) init[field.oneof.localName] = { case: field.localName, value: decoded };
    else init[field.localName] = decoded;
  }
  return create(desc, init as never) as Message;
}

function decodeField(field: DescField, value: unknown, path: string): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return decodeScalar(field.scalar, field.longAsString, value, path);
    case "enum":
      return decodeEnum(field.enum, value, path);
    case "message":
      return decodeSubMessage(field.message, value, path);
    case "list": {
      if (!Array.isArray(value)) throw serializationError(path, "a list", value);
      return value.map((item, i) => {
        const itemPath = `${path}.${i + 1}`;
        if (item === null || item === undefined) throw serializationError(itemPath, "a list element", item);
        switch (field.listKind) {
          case "scalar":
            return decodeScalar(field.scalar, field.longAsString, item, itemPath);
          case "enum":
            return decodeEnum(field.enum, item, itemPath);
          case "message":
            return decodeSubMessage(field.message, item, itemPath);
        }
      });
    }
    case "map": {
      if (!isPlainObject(value)) throw serializationError(path, "a map", value);
      // No prototype: an encryption-context key "__proto__" is a key like any other, not dropped.
      const out = Object.create(null) as Record<string, unknown>;
      for (const [key, item] of Object.entries(value)) {
        const itemPath = `${path}.${key}`;
        if (item === null || item === undefined) throw serializationError(itemPath, "a map value", item);
        const decodedKey = decodeMapKey(field.mapKey, key, itemPath);
        switch (field.mapKind) {
          case "scalar":
            out[decodedKey] = decodeScalar(field.scalar, false, item, itemPath);
            break;
          case "enum":
            out[decodedKey] = decodeEnum(field.enum, item, itemPath);
            break;
          case "message":
            out[decodedKey] = decodeSubMessage(field.message, item, itemPath);
            break;
        }
      }
      return out;
    }
  }
}

function decodeSubMessage(desc: DescMessage, value: unknown, path: string): unknown {
  if (desc.typeName === "google.protobuf.Timestamp") {
    if (typeof value !== "number" || !Number.isFinite(value)) throw serializationError(path, "a timestamp (epoch seconds)", value);
    if (value < MIN_EPOCH_SECONDS || value > MAX_EPOCH_SECONDS) throw new AwsProtocolError("SerializationException", `Member ${path} is not a timestamp between the years 1 and 9999.`);
    return timestampFromMs(Math.round(value * 1000));
  }
  if (!isPlainObject(value)) throw serializationError(path, "a structure", value);
  return decodeMessage(desc, value, path);
}

function decodeEnum(desc: DescEnum, value: unknown, path: string): number {
  if (typeof value !== "string") throw serializationError(path, "a string", value);
  const { toNumber } = awsEnumNames(desc);
  const number = toNumber.get(value);
  if (number === undefined) throw enumValidationError(value, path, toNumber.keys());
  return number;
}

function enumValidationError(value: string, path: string, allowed: Iterable<string>): AwsProtocolError {
  return new AwsProtocolError(
    "ValidationException",
    `1 validation error detected: Value '${value.slice(0, 64)}' at '${validationPath(path)}' failed to satisfy constraint: Member must satisfy enum value set: [${[...allowed].join(", ")}]`,
  );
}

/** The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
const MIN_EPOCH_SECONDS = -62135596800;
const MAX_EPOCH_SECONDS = 253402300799;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeScalar(type: ScalarType, longAsString: boolean, value: unknown, path: string): unknown {
  switch (type) {
    case ScalarType.STRING:
      if (typeof value !== "string") throw serializationError(path, "a string", value);
      return value;
    case ScalarType.BOOL:
      if (typeof value !== "boolean") throw serializationError(path, "a boolean", value);
      return value;
    case ScalarType.BYTES:
      if (typeof value !== "string") throw serializationError(path, "a base64 string", value);
      if (!BASE64.test(value)) throw new AwsProtocolError("SerializationException", `${path || "The body"} is not valid base64.`);
      return new Uint8Array(Buffer.from(value, "base64"));
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof value !== "number") throw serializationError(path, "a number", value);
      return value;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      if (typeof value !== "number" || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) throw serializationError(path, "an integer", value);
      return value;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) throw serializationError(path, "a non-negative integer", value);
      return value;
    default: {
      // 64-bit integers: a JSON number (exact only up to 2^53) or a string of digits.
      if (!((typeof value === "number" && Number.isSafeInteger(value)) || (typeof value === "string" && /^-?\d{1,20}$/.test(value)))) {
        throw serializationError(path, "an integer", value);
      }
      const big = BigInt(value);
      const unsigned = type === ScalarType.UINT64 || type === ScalarType.FIXED64;
      if (unsigned ? big < 0n || big >= 2n ** 64n : big < -(2n ** 63n) || big >= 2n ** 63n) throw serializationError(path, "a 64-bit integer", value);
      return longAsString ? big.toString() : big;
    }
  }
}

const LONG_TYPES: ReadonlySet<ScalarType> = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.FIXED64, ScalarType.SFIXED64, ScalarType.SINT64]);

/** A map key as protobuf-es keeps it: the property name (a number or boolean in its string form). */
function decodeMapKey(type: ScalarType, key: string, path: string): string {
  switch (type) {
    case ScalarType.STRING:
      return key;
    case ScalarType.BOOL:
      if (key !== "true" && key !== "false") throw serializationError(path, "a boolean map key", key);
      return key;
    default:
      if (!/^-?\d+$/.test(key)) throw serializationError(path, "an integer map key", key);
      return String(decodeScalar(type, false, LONG_TYPES.has(type) ? key : Number(key), path));
  }
}

function serializationError(path: string, expected: string, value: unknown): AwsProtocolError {
  const where = path === "" ? "The request body" : `Member ${path}`;
  return new AwsProtocolError("SerializationException", `${where} must be ${expected}, not ${jsonTypeOf(value)}.`);
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a structure";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

/** AWS's path of a member in a validation message: lower camel case, "tags.1.member.tagKey". */
function validationPath(path: string): string {
  return path
    .split(".")
    .map((part) => (/^\d+$/.test(part) ? `${part}.member` : part.charAt(0).toLowerCase() + part.slice(1)))
    .join(".");
}

/** A table's own entry (never one of Object.prototype's, whatever a client names its members). */
function own<T>(table: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Encoding: message -> AWS JSON.

/**
 * The AWS JSON body of an operation's response message: PascalCase members, base64 blobs,
 * timestamps as epoch seconds with a millisecond fraction, enum values by their AWS names.
 * Unset fields are left out (empty strings, zero numbers, unset enums, messages and timestamps,
 * empty maps); booleans are always sent, and lists are sent even when empty except a key's
 * algorithm lists, as AWS does.
 */
export function encodeResponse(method: DescMethod, message: Message): Record<string, unknown> {
  return encodeMessage(method.output, message);
}

/** Any message of the contract in its AWS JSON form (encodeResponse for a message type). */
export function encodeMessage(desc: DescMessage, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = message as unknown as Record<string, unknown>;
  for (const field of desc.fields) {
    let value: unknown;
    if (field.oneof) {
      const oneof = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      if (oneof?.case !== field.localName) continue;
      value = oneof.value;
    } else {
      value = record[field.localName];
    }
    if (value === undefined) continue;
    const encoded = encodeField(desc, field, value, field.oneof !== undefined || field.proto.proto3Optional === true);
    if (encoded !== undefined) out[awsMemberName(field)] = encoded;
  }
  for (const mirror of responseMemberMirrors[desc.typeName] ?? []) {
    const source = out[awsMemberName(desc.fields.find((f) => f.name === mirror.field)!)];
    if (typeof source === "string" && mirror.values.has(source)) out[mirror.member] = source;
  }
  return out;
}

/** The AWS JSON of one field's value; undefined leaves the member out. */
function encodeField(desc: DescMessage, field: DescField, value: unknown, explicitPresence: boolean): unknown {
  switch (field.fieldKind) {
    case "scalar":
      // Booleans are always sent (AWS sends "Enabled": false, "Truncated": false).
      if (!explicitPresence && field.scalar !== ScalarType.BOOL && isZeroScalar(field.scalar, value) && !keepWhenEmptyStrings.has(`${desc.typeName}.${field.name}`)) return undefined;
      return encodeScalar(field.scalar, value);
    case "enum":
      return encodeEnum(field.enum, value as number);
    case "message":
      return encodeSubMessage(field.message, value as Message);
    case "list": {
      const items = value as unknown[];
      if (items.length === 0 && omitWhenEmptyLists.has(`${desc.typeName}.${field.name}`)) return undefined;
      const out: unknown[] = [];
      for (const item of items) {
        const encoded = field.listKind === "scalar" ? encodeScalar(field.scalar, item) : field.listKind === "enum" ? encodeEnum(field.enum, item as number) : encodeSubMessage(field.message, item as Message);
        if (encoded !== undefined) out.push(encoded);
      }
      return out;
    }
    case "map": {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) return undefined;
      // No prototype: a key named "__proto__" (an encryption context may have one) must stay a key.
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [key, item] of entries) {
        const encoded = field.mapKind === "scalar" ? encodeScalar(field.scalar, item) : field.mapKind === "enum" ? encodeEnum(field.enum, item as number) : encodeSubMessage(field.message, item as Message);
        if (encoded !== undefined) out[key] = encoded;
      }
      return out;
    }
  }
}

function encodeSubMessage(desc: DescMessage, value: Message): unknown {
  if (desc.typeName === "google.protobuf.Timestamp") {
    // Epoch seconds with the milliseconds as a fraction, as AWS sends them (1.700000000123E9).
    return Math.round(timestampMs(value as unknown as Timestamp)) / 1000;
  }
  return encodeMessage(desc, value);
}

function encodeEnum(desc: DescEnum, value: number): string | undefined {
  if (value === 0) return undefined;
  const name = awsEnumNames(desc).toName.get(value);
  if (name === undefined) throw new Error(`${desc.typeName} has no value ${value}`);
  return name;
}

function encodeScalar(type: ScalarType, value: unknown): unknown {
  switch (type) {
    case ScalarType.BYTES:
      return Buffer.from(value as Uint8Array).toString("base64");
    default:
      return LONG_TYPES.has(type) ? Number(value) : value;
  }
}

function isZeroScalar(type: ScalarType, value: unknown): boolean {
  switch (type) {
    case ScalarType.STRING:
      return value === "";
    case ScalarType.BYTES:
      return (value as Uint8Array).length === 0;
    default:
      return value === 0 || value === 0n || value === "0";
  }
}
