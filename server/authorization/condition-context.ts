import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { KeyRecord } from "../domain/key-record.js";
import type { Caller } from "../identity/caller.js";
import { encryptionContextFieldOf } from "../crypto/encryption-context.js";

/** Facts about the connection a request came on. */
export interface ConnectionFacts {
  readonly sourceIp?: string;
  readonly secureTransport: boolean;
  /** The subject CN of a client certificate that the configured client CA verified. */
  readonly clientCertificateCn?: string;
}

/** Request fields whose value is a condition key, by proto field name. */
const fieldConditionKeys: Readonly<Record<string, string>> = {
  encryption_algorithm: "kms:encryptionalgorithm",
  destination_encryption_algorithm: "kms:encryptionalgorithm",
  signing_algorithm: "kms:signingalgorithm",
  message_type: "kms:messagetype",
  mac_algorithm: "kms:macalgorithm",
  key_agreement_algorithm: "kms:keyagreementalgorithm",
  key_pair_spec: "kms:datakeypairspec",
  wrapping_algorithm: "kms:wrappingalgorithm",
  wrapping_key_spec: "kms:wrappingkeyspec",
  expiration_model: "kms:expirationmodel",
  pending_window_in_days: "kms:schedulekeydeletionpendingwindowindays",
  rotation_period_in_days: "kms:rotationperiodindays",
  replica_region: "kms:replicaregion",
  primary_region: "kms:primaryregion",
  grantee_principal: "kms:granteeprincipal",
  retiring_principal: "kms:retiringprincipal",
  bypass_policy_lockout_safety_check: "kms:bypasspolicylockoutsafetycheck",
  multi_region: "kms:multiregion",
};

/**
 * What an omitted field means, as a condition value: the request is served with the default, so
 * a policy about it must see the default (a Deny on RAW must not be escaped by leaving
 * message_type out, nor one on a rotation period over 180 days by leaving the period out).
 */
const fieldDefaults: Readonly<Record<string, string>> = {
  message_type: "RAW",
  encryption_algorithm: "SYMMETRIC_DEFAULT",
  destination_encryption_algorithm: "SYMMETRIC_DEFAULT",
  pending_window_in_days: "30",
  rotation_period_in_days: "365",
  expiration_model: "KEY_MATERIAL_EXPIRES",
};

/** What a condition context is built from. */
export interface ConditionFacts {
  caller: Caller;
  connection: ConnectionFacts;
  now: number;
  region: string;
  requestDesc: DescMessage;
  request: Record<string, unknown>;
  key?: KeyRecord;
  /** The alias the request named the key by, for kms:RequestAlias. */
  requestAlias?: string;
  /** The key's aliases, for kms:ResourceAliases (supplied only when a policy asks for them). */
  resourceAliases?: readonly string[];
  /** For a configured service principal: "<service>.<region>.amazonaws.com", for kms:ViaService. */
  viaService?: string;
  /** The action checked: it says which encryption context kms:EncryptionContext* see (ReEncrypt has two). */
  action?: string;
}

/**
 * The condition context of one access check: who calls, from where, when, on which key, with
 * what request. Keys are lowercased (condition keys are case-insensitive). Values of a request's
 * enum fields are their AWS names.
 *
 * Built on first look: most policies a request meets have no conditions, and then nothing of it
 * is ever read.
 */
export function buildConditionContext(input: ConditionFacts): ReadonlyMap<string, string | readonly string[]> {
  return new DeferredMap(() => conditionContextOf(input));
}

/** A map made by `build` the first time anything reads it. */
class DeferredMap<V> implements ReadonlyMap<string, V> {
  #map: Map<string, V> | undefined;
  constructor(private build: () => Map<string, V>) {}
  get #built(): Map<string, V> {
    return (this.#map ??= this.build());
  }
  get(key: string): V | undefined {
    return this.#built.get(key);
  }
  has(key: string): boolean {
    return this.#built.has(key);
  }
  get size(): number {
    return this.#built.size;
  }
  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    this.#built.forEach((value, key) => callback(value, key, this));
  }
  entries(): MapIterator<[string, V]> {
    return this.#built.entries();
  }
  keys(): MapIterator<string> {
    return this.#built.keys();
  }
  values(): MapIterator<V> {
    return this.#built.values();
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.#built[Symbol.iterator]();
  }
}

function conditionContextOf(input: ConditionFacts): Map<string, string | string[]> {
  const { caller, connection, request, requestDesc, key } = input;
  const contextField = encryptionContextFieldOf(input.action ?? "");
  const c = new Map<string, string | string[]>();
  c.set("aws:principalarn", caller.roleArn ?? caller.arn);
  c.set("aws:principalaccount", caller.accountId);
  c.set("aws:principaltype", caller.kind === "user" ? "User" : "AssumedRole");
  c.set("aws:userid", caller.userId);
  // IAM sets aws:username for IAM users only (a role session has none).
  if (caller.kind === "user") c.set("aws:username", caller.name);
  c.set("kms:calleraccount", caller.accountId);
  for (const [k, v] of Object.entries(caller.tags)) c.set(`aws:principaltag/${k.toLowerCase()}`, v);
  if (connection.sourceIp !== undefined) c.set("aws:sourceip", connection.sourceIp);
  c.set("aws:securetransport", String(connection.secureTransport));
  c.set("aws:currenttime", new Date(input.now).toISOString());
  c.set("aws:epochtime", String(Math.floor(input.now / 1000)));
  c.set("aws:requestedregion", input.region);
  if (input.requestAlias !== undefined) c.set("kms:requestalias", input.requestAlias);
  if (input.viaService !== undefined) c.set("kms:viaservice", input.viaService);
  if (input.resourceAliases !== undefined && input.resourceAliases.length > 0) c.set("kms:resourcealiases", [...input.resourceAliases]);
  if (key) {
    c.set("kms:keyspec", key.keySpec);
    c.set("kms:keyusage", key.keyUsage);
    c.set("kms:keyorigin", key.origin);
    c.set("kms:multiregion", String(key.multiRegion));
    for (const t of key.tags) c.set(`aws:resourcetag/${t.key.toLowerCase()}`, t.value);
  }
  for (const field of requestDesc.fields) {
    const value = request[field.localName];
    const conditionKey = fieldConditionKeys[field.name];
    if (conditionKey !== undefined) {
      const text = conditionValue(field, value) ?? fieldDefaults[field.name];
      if (text !== undefined) c.set(conditionKey, text);
    }
    if (field.name === contextField && value && typeof value === "object") {
      const pairs = Object.entries(value as Record<string, string>);
      if (pairs.length > 0) {
        for (const [k, v] of pairs) c.set(`kms:encryptioncontext:${k.toLowerCase()}`, v);
        c.set("kms:encryptioncontextkeys", pairs.map(([k]) => k));
      }
    }
  }
  addCreateKeyFacts(c, request, requestDesc);
  addGrantFacts(c, request, requestDesc, input.viaService !== undefined);
  return c;
}

/** The requests kms:GrantIsForAWSResource is defined for (AWS: CreateGrant, ListGrants and RevokeGrant). */
const GRANT_MANAGEMENT_REQUESTS = new Set(["kms.v1.CreateGrantRequest", "kms.v1.ListGrantsRequest", "kms.v1.RevokeGrantRequest"]);

/**
 * Grant management's own keys: whether a service calls for its user (kms:GrantIsForAWSResource),
 * and for CreateGrant the constraint's type (kms:GrantConstraintType) and its pairs, which the
 * kms:EncryptionContext keys see as a CreateGrant's encryption context, as in AWS.
 */
function addGrantFacts(c: Map<string, string | string[]>, request: Record<string, unknown>, desc: DescMessage, viaService: boolean): void {
  if (!GRANT_MANAGEMENT_REQUESTS.has(desc.typeName)) return;
  c.set("kms:grantisforawsresource", String(viaService));
  const constraints = request.constraints as { encryptionContextEquals?: Record<string, string>; encryptionContextSubset?: Record<string, string> } | undefined;
  for (const [type, pairs] of [["EncryptionContextEquals", constraints?.encryptionContextEquals], ["EncryptionContextSubset", constraints?.encryptionContextSubset]] as const) {
    if (!pairs || Object.keys(pairs).length === 0) continue;
    c.set("kms:grantconstrainttype", type);
    for (const [k, v] of Object.entries(pairs)) c.set(`kms:encryptioncontext:${k.toLowerCase()}`, v);
    c.set("kms:encryptioncontextkeys", Object.keys(pairs));
  }
}

/** CreateKey and TagResource carry tags; CreateKey's spec, usage and origin are condition keys too. */
function addCreateKeyFacts(c: Map<string, string | string[]>, request: Record<string, unknown>, desc: DescMessage): void {
  const tags = request.tags as Array<{ tagKey: string; tagValue: string }> | undefined;
  if (Array.isArray(tags) && tags.length > 0) {
    for (const t of tags) c.set(`aws:requesttag/${t.tagKey.toLowerCase()}`, t.tagValue);
    c.set("aws:tagkeys", tags.map((t) => t.tagKey));
  }
  const operations = request.operations as number[] | undefined;
  const operationsField = desc.fields.find((f) => f.name === "operations");
  if (Array.isArray(operations) && operations.length > 0 && operationsField?.fieldKind === "list" && operationsField.listKind === "enum") {
    c.set("kms:grantoperations", operations.map((n) => grantOperationName(operationsField.enum.values.find((v) => v.number === n)?.localName ?? String(n))));
  }
  const tagKeys = request.tagKeys as string[] | undefined;
  if (Array.isArray(tagKeys) && tagKeys.length > 0) c.set("aws:tagkeys", [...tagKeys]);
  if (desc.typeName === "kms.v1.CreateKeyRequest") {
    c.set("kms:keyspec", enumAwsName(desc.fields.find((f) => f.name === "key_spec")!, request.keySpec as number) ?? "SYMMETRIC_DEFAULT");
    c.set("kms:keyusage", enumAwsName(desc.fields.find((f) => f.name === "key_usage")!, request.keyUsage as number) ?? "ENCRYPT_DECRYPT");
    c.set("kms:keyorigin", enumAwsName(desc.fields.find((f) => f.name === "origin")!, request.origin as number) ?? "AWS_KMS");
  }
}

function conditionValue(field: DescField, value: unknown): string | undefined {
  if (value === undefined || value === "" ) return undefined;
  if (field.fieldKind === "enum") return enumAwsName(field, value as number);
  // A flag left out is false, and a condition on it sees "false", as in AWS.
  if (typeof value === "boolean") return String(value);
  return String(value);
}

/** The AWS name of an enum value (the value name without the enum's prefix); undefined for UNSPECIFIED. */
function enumAwsName(field: DescField, value: number): string | undefined {
  if (field.fieldKind !== "enum" || value === 0) return undefined;
  return field.enum.values.find((v) => v.number === value)?.localName;
}

/** "RE_ENCRYPT_FROM" -> "ReEncryptFrom", the AWS name of a grant operation. */
export function grantOperationName(enumLocalName: string): string {
  return enumLocalName.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
