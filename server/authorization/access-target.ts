import type { DescMessage } from "@bufbuild/protobuf";
import type { Access } from "../../gen/kms/v1/options_pb.js";
import { KeyReference } from "../../gen/kms/v1/options_pb.js";
import type { KeyScope } from "../context.js";
import { parseCiphertextBlob } from "../crypto/ciphertext-blob.js";
import { limits } from "../domain/limits.js";
import { aliasArn } from "../domain/region.js";
import { ignoresCiphertext } from "../domain/dry-run.js";
import { checkByteLength } from "../domain/validation.js";
import { checkAliasName, checkAliasNameNotReserved } from "../domain/alias-name.js";
import { KmsError, validationError } from "../errors/kms-error.js";
import type { Caller } from "../identity/caller.js";
import type { IdentityStore } from "../identity/identity-store.js";
import { isIamName } from "../services/identity/identity-names.js";
import { loadKey, resolveKey, resolveKeyByIdOrArn, type ResolvedKey } from "../services/resolve-key.js";
import { loadBlobKey } from "../services/symmetric-keys.js";

/** What one access rule of an RPC is about: a key (then the resource is its ARN) or another resource. */
export interface AccessTarget {
  readonly resource: string;
  readonly key?: ResolvedKey;
  readonly requestAlias?: string;
  /** The key the rule's named_key_field names, when it names one (the target itself for an asymmetric one). */
  readonly named?: { readonly field: string; readonly key: ResolvedKey };
}

/** The value of a request field by its proto name. */
export function fieldValue(desc: DescMessage, message: Record<string, unknown>, name: string): unknown {
  const field = desc.fields.find((f) => f.name === name);
  if (!field) throw new Error(`${desc.typeName} has no field ${name}, named by its access option`);
  return message[field.localName];
}

/**
 * Resolves what an access rule acts on, reading the field the contract names: a key by id, ARN
 * or alias, the key inside a ciphertext, an alias ARN, or a resource template such as
 * "arn:{partition}:iam::{account}:user/{user_name}".
 */
export async function resolveAccessTarget(
  rule: Access,
  desc: DescMessage,
  message: Record<string, unknown>,
  regionalScope: KeyScope | undefined,
  caller: Caller,
  partition: string,
  identities?: IdentityStore,
): Promise<AccessTarget> {
  if (rule.keyReference === KeyReference.UNSPECIFIED) return { resource: rule.resource === "" ? "*" : await expandResource(rule.resource, desc, message, caller, partition, identities) };
  if (!regionalScope) throw new Error(`${desc.typeName}: a rule on a key or alias needs a region`);
  const scope = regionalScope;
  switch (rule.keyReference) {
    case KeyReference.KEY_ID_OR_ARN:
    case KeyReference.ANY: {
      const value = fieldValue(desc, message, rule.keyField) as string;
      const key = rule.keyReference === KeyReference.ANY ? await resolveKey(scope, value, rule.keyField) : await resolveKeyByIdOrArn(scope, value, rule.keyField);
      const requestAlias = value.startsWith("alias/") ? value : /^arn:[^:]+:kms:[^:]+:\d{12}:(alias\/.+)$/.exec(value)?.[1];
      return { resource: key.arn, key, ...(requestAlias !== undefined ? { requestAlias } : {}) };
    }
    case KeyReference.CIPHERTEXT: {
      const named = rule.namedKeyField === "" ? "" : (fieldValue(desc, message, rule.namedKeyField) as string);
      if (named === "" && rule.namedKeyField !== "" && ignoresCiphertext(message)) throw validationError(`${rule.namedKeyField} is required for a dry run with IGNORE_CIPHERTEXT`);
      const namedKey = named === "" ? undefined : { field: rule.namedKeyField, key: await resolveKey(scope, named, rule.namedKeyField) };
      if (namedKey && (namedKey.key.key.keySpec !== "SYMMETRIC_DEFAULT" || ignoresCiphertext(message))) return { resource: namedKey.key.arn, key: namedKey.key, named: namedKey };
      const blob = fieldValue(desc, message, rule.keyField) as Uint8Array;
      checkByteLength(rule.keyField, blob, limits.ciphertextBlobBytes);
      const key = await loadBlobKey(scope, parseCiphertextBlob(blob).keyId);
      return { resource: key.arn, key, ...(namedKey ? { named: namedKey } : {}) };
    }
    case KeyReference.ALIAS_NAME: {
      const aliasName = fieldValue(desc, message, rule.keyField) as string;
      if (aliasName === "") throw validationError(`${rule.keyField} is required`);
      return { resource: aliasArn(scope.region, caller.accountId, aliasName) };
    }
    case KeyReference.ALIAS_TARGET: {
      // The key an alias of the caller's account points at now, whose policy must allow moving or deleting it.
      const aliasName = fieldValue(desc, message, rule.keyField) as string;
      checkAliasName(aliasName);
      checkAliasNameNotReserved(aliasName);
      const alias = await scope.region.keyring.getAlias(caller.accountId, aliasName);
      if (!alias) throw new KmsError("NotFoundException", `Alias ${aliasArn(scope.region, caller.accountId, aliasName)} is not found.`);
      const key = await loadKey(scope, { accountId: caller.accountId, keyId: alias.targetKeyId });
      return { resource: key.arn, key };
    }
    default:
      throw new Error(`unknown key reference ${rule.keyReference}`);
  }
}

/**
 * Fills a resource template ("arn:{partition}:iam::{account}:user/{user_name}") from the request.
 * A user or role that exists is named as it was created: IAM names are found whatever their case,
 * so "user/BOSS" must be judged as "user/boss", or a policy about one spelling would be passed by
 * another.
 */
async function expandResource(template: string, desc: DescMessage, message: Record<string, unknown>, caller: Caller, partition: string, identities: IdentityStore | undefined): Promise<string> {
  const values = new Map<string, string>();
  for (const [, name] of template.matchAll(/\{(\w+)\}/g)) {
    if (name === "partition" || name === "account" || values.has(name!)) continue;
    const value = fieldValue(desc, message, name!);
    if (typeof value !== "string" || value === "") throw validationError(`${name} is required`);
    // Only a name that could exist is looked up (the handler refuses the others): no read, or cache entry, for arbitrary input.
    const lookup = isIamName(value, 64) ? value : undefined;
    const stored = lookup === undefined ? undefined : name === "user_name" ? (await identities?.getUser(caller.accountId, lookup))?.userName : name === "role_name" ? (await identities?.getRole(caller.accountId, lookup))?.roleName : undefined;
    values.set(name!, stored ?? value);
  }
  return template.replace(/\{(\w+)\}/g, (_, name: string) => (name === "partition" ? partition : name === "account" ? caller.accountId : values.get(name)!));
}
