import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/kms/v1/error_pb.js";
import type { KeyManagementService } from "../../gen/kms/v1/key_management_service_pb.js";
import { DataKeySpec } from "../../gen/kms/v1/types_pb.js";
import type { EncryptionContext } from "./encryption-context.js";
import { EnvelopeError, type KmsFailure } from "./errors.js";
import { isValidKeyArn, MAX_DATA_KEY_BLOB_BYTES, type EncryptedDataKey } from "./header.js";
import { DATA_KEY_BYTES, zero } from "./key-schedule.js";

/** The three KMS calls envelope encryption makes; the generated Connect client has them. */
export type KmsDataKeyClient = Pick<Client<typeof KeyManagementService>, "generateDataKey" | "encrypt" | "decrypt">;

/** A KMS key to wrap the data key with, and the client (region, credentials) that reaches it. */
export interface WrappingKey {
  /** Key id, key ARN, alias name or alias ARN; the header records the key ARN KMS reports. */
  readonly keyId: string;
  readonly client: KmsDataKeyClient;
}

/** A plaintext data key and its encrypted copies. Whoever holds `dataKey` zeroes it. */
export interface DataKeyMaterials {
  readonly dataKey: Buffer;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
}

/**
 * A fresh data key: GenerateDataKey (AES_256) under the first key, then Encrypt of the same data
 * key under each other key, all bound to the encryption context.
 */
export async function generateDataKey(keys: readonly WrappingKey[], encryptionContext: EncryptionContext): Promise<DataKeyMaterials> {
  const [first, ...others] = keys;
  let generated: Awaited<ReturnType<KmsDataKeyClient["generateDataKey"]>>;
  try {
    generated = await first!.client.generateDataKey({ keyId: first!.keyId, keySpec: DataKeySpec.AES_256, encryptionContext: { ...encryptionContext } });
  } catch (error) {
    throw kmsCallFailed([failureOf("GenerateDataKey", first!.keyId, error)]);
  }
  const dataKey = Buffer.from(generated.plaintext);
  zero(generated.plaintext);
  try {
    if (dataKey.length !== DATA_KEY_BYTES) throw kmsCallFailed([malformed("GenerateDataKey", first!.keyId, `returned a ${dataKey.length}-byte data key`)]);
    const encryptedDataKeys = [checkedCopy("GenerateDataKey", first!.keyId, generated.keyId, generated.ciphertextBlob)];
    for (const key of others) {
      let wrapped: Awaited<ReturnType<KmsDataKeyClient["encrypt"]>>;
      try {
        wrapped = await key.client.encrypt({ keyId: key.keyId, plaintext: dataKey, encryptionContext: { ...encryptionContext } });
      } catch (error) {
        throw kmsCallFailed([failureOf("Encrypt", key.keyId, error)]);
      }
      encryptedDataKeys.push(checkedCopy("Encrypt", key.keyId, wrapped.keyId, wrapped.ciphertextBlob));
    }
    return { dataKey, encryptedDataKeys };
  } catch (error) {
    zero(dataKey);
    throw error;
  }
}

/**
 * Decrypts the first encrypted data key it can: in the message's order, each key for which
 * `clientFor` gives a client, with Decrypt naming that key ARN and the message's context.
 */
export async function decryptDataKey(
  encryptedDataKeys: readonly EncryptedDataKey[],
  encryptionContext: EncryptionContext,
  clientFor: (keyArn: string) => KmsDataKeyClient | undefined,
): Promise<{ dataKey: Buffer; keyArn: string }> {
  const failures: KmsFailure[] = [];
  for (const edk of encryptedDataKeys) {
    const client = clientFor(edk.keyArn);
    if (client === undefined) continue;
    let response: Awaited<ReturnType<KmsDataKeyClient["decrypt"]>>;
    try {
      response = await client.decrypt({ ciphertextBlob: edk.ciphertextBlob, keyId: edk.keyArn, encryptionContext: { ...encryptionContext } });
    } catch (error) {
      failures.push(failureOf("Decrypt", edk.keyArn, error));
      continue;
    }
    const dataKey = Buffer.from(response.plaintext);
    zero(response.plaintext);
    if (response.keyId !== edk.keyArn || dataKey.length !== DATA_KEY_BYTES) {
      zero(dataKey);
      failures.push(malformed("Decrypt", edk.keyArn, response.keyId !== edk.keyArn ? "answered for another key" : `returned a ${dataKey.length}-byte data key`));
      continue;
    }
    return { dataKey, keyArn: edk.keyArn };
  }
  if (failures.length === 0) {
    throw new EnvelopeError("DataKeyUnavailable", `no client for any of the message's ${encryptedDataKeys.length} key(s)`);
  }
  throw new EnvelopeError("DataKeyUnavailable", `no data key could be decrypted (${describe(failures)})`, failures);
}

/** The AWS exception name of a failed call: from a KmsServiceError, the ErrorDetail, or the error's own name. */
export function exceptionOf(error: unknown): string {
  const named = (error as { exception?: unknown } | null)?.exception;
  if (typeof named === "string" && named !== "") return named.slice(0, 64);
  if (error instanceof ConnectError) return (error.findDetails(ErrorDetailSchema)[0]?.exception || Code[error.code] || "Unknown").slice(0, 64);
  return error instanceof Error ? error.name.slice(0, 64) : "Unknown";
}

function failureOf(operation: KmsFailure["operation"], keyId: string, error: unknown): KmsFailure {
  const message = error instanceof ConnectError ? error.rawMessage : error instanceof Error ? error.message : String(error);
  return { keyId, operation, exception: exceptionOf(error), message: message.slice(0, 200) };
}

function malformed(operation: KmsFailure["operation"], keyId: string, what: string): KmsFailure {
  return { keyId, operation, exception: "MalformedResponse", message: `${operation} ${what}` };
}

function checkedCopy(operation: KmsFailure["operation"], keyId: string, keyArn: string, blob: Uint8Array): EncryptedDataKey {
  if (!isValidKeyArn(keyArn)) throw kmsCallFailed([malformed(operation, keyId, "returned no usable key ARN")]);
  if (blob.length < 1 || blob.length > MAX_DATA_KEY_BLOB_BYTES) throw kmsCallFailed([malformed(operation, keyId, `returned a ${blob.length}-byte ciphertext blob`)]);
  return { keyArn, ciphertextBlob: Uint8Array.from(blob) };
}

function kmsCallFailed(failures: KmsFailure[]): EnvelopeError {
  return new EnvelopeError("KmsFailure", `KMS refused (${describe(failures)})`, failures);
}

/** A short summary for the message: the exception names only. Key ids (chosen by whoever wrote the message) are in kmsFailures. */
function describe(failures: readonly KmsFailure[]): string {
  const names = [...new Set(failures.map((f) => `${f.operation}: ${f.exception}`))];
  return names.length > 3 ? `${names.slice(0, 3).join(", ")}, ...` : names.join(", ");
}
