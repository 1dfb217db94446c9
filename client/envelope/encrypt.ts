import { randomBytes } from "node:crypto";
import { ByteSourceReader, type ByteSource } from "./byte-source.js";
import { MAX_CHUNK_INDEX, sealChunk } from "./chunk.js";
import type { DataKeyCache } from "./data-key-cache.js";
import { encodeEncryptionContext, type EncryptionContext } from "./encryption-context.js";
import { EnvelopeError } from "./errors.js";
import {
  DEFAULT_CHUNK_SIZE,
  encodeHeaderBody,
  MAX_CHUNK_SIZE,
  MAX_ENCRYPTED_DATA_KEYS,
  MESSAGE_ID_BYTES,
  MIN_CHUNK_SIZE,
  PUBLIC_KEY_CONTEXT_KEY,
  SUITE_AES256_GCM_HKDF_SHA256_COMMIT,
  SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384,
} from "./header.js";
import { deriveMessageKeys, headerTag, zero } from "./key-schedule.js";
import { generateDataKey, type DataKeyMaterials, type WrappingKey } from "./kms.js";
import { newMessageSigner, PUBLIC_KEY_PLACEHOLDER } from "./signing.js";

export interface EncryptOptions {
  /**
   * The KMS keys that can open the message, at least one and at most 16. The first generates the
   * data key (GenerateDataKey); each other wraps the same data key (Encrypt). Any one of them
   * suffices to decrypt, so each may be in its own region, reached by its own client.
   */
  readonly keys: readonly WrappingKey[];
  /** Pairs bound to the message and to every KMS call; stored in clear in the header. */
  readonly encryptionContext?: EncryptionContext;
  /** Plaintext bytes per chunk, 1 KiB to 16 MiB; 64 KiB by default. */
  readonly chunkSize?: number;
  /** Reuse data keys across messages within the cache's limits. */
  readonly dataKeyCache?: DataKeyCache;
  /**
   * The exact plaintext length, when known ahead. A stream uses the data key cache only if it is
   * given (the byte limit cannot be honoured otherwise); the source must then yield exactly this
   * many bytes. encrypt() sets it.
   */
  readonly plaintextLength?: number;
  /**
   * Sign the message (suite 0x0002): an ECDSA P-384 key pair made for it signs every byte, and its
   * public key goes in the encryption context, bound to the data key by KMS. Readers then know
   * the message was written by someone who can have KMS bind a data key to a context of their
   * choosing under one of the message's keys (kms:GenerateDataKey*, kms:Encrypt or kms:ReEncrypt*),
   * not by anyone who can merely decrypt. A signed message never uses the data key cache (its
   * data key is bound to its own public key).
   */
  readonly sign?: boolean;
}

/**
 * Encrypts a stream into an envelope message, as a stream of byte pieces that concatenate to the
 * message: the header, then each chunk's frame (as three pieces: prefix, ciphertext, tag). Memory
 * stays bounded by about one chunk and one source piece, whatever the input size.
 * Options are checked at once; KMS is called when the output is first read.
 */
export function encryptStream(source: ByteSource, options: EncryptOptions): AsyncIterable<Uint8Array> {
  const plan = checkOptions(options);
  const reader = new ByteSourceReader(source);
  return encryptChunks(reader, plan);
}

/** Encrypts a buffer into one envelope message. */
export async function encrypt(data: Uint8Array, options: Omit<EncryptOptions, "plaintextLength">): Promise<Uint8Array> {
  if (!(data instanceof Uint8Array)) throw new EnvelopeError("InvalidArgument", "the data must be a Uint8Array");
  const parts: Uint8Array[] = [];
  for await (const part of encryptStream([data], { ...options, plaintextLength: data.length })) parts.push(part);
  return Buffer.concat(parts);
}

interface Plan {
  readonly sign: boolean;
  readonly keys: readonly WrappingKey[];
  readonly encryptionContext: EncryptionContext;
  readonly encodedContext: Buffer;
  readonly chunkSize: number;
  readonly cache: DataKeyCache | undefined;
  readonly plaintextLength: number | undefined;
}

function checkOptions(options: EncryptOptions): Plan {
  const keys = options?.keys;
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_ENCRYPTED_DATA_KEYS) {
    throw new EnvelopeError("InvalidArgument", `give 1 to ${MAX_ENCRYPTED_DATA_KEYS} wrapping keys`);
  }
  for (const key of keys) {
    if (typeof key?.keyId !== "string" || key.keyId === "" || typeof key.client !== "object" || key.client === null) {
      throw new EnvelopeError("InvalidArgument", "each wrapping key needs a keyId and a client");
    }
  }
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError("InvalidArgument", `chunkSize must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`);
  }
  const { plaintextLength } = options;
  if (plaintextLength !== undefined && (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0)) {
    throw new EnvelopeError("InvalidArgument", "plaintextLength must be a non-negative integer");
  }
  const encryptionContext = { ...(options.encryptionContext ?? {}) };
  const encodedContext = encodeEncryptionContext(encryptionContext);
  if (Object.hasOwn(encryptionContext, PUBLIC_KEY_CONTEXT_KEY)) throw new EnvelopeError("InvalidArgument", `the context key ${PUBLIC_KEY_CONTEXT_KEY} is reserved for signed messages`);
  if (options.sign !== undefined && typeof options.sign !== "boolean") throw new EnvelopeError("InvalidArgument", "sign must be a boolean");
  // The verification key counts towards the context's size limit: checked now, before any KMS call.
  if (options.sign === true) encodeEncryptionContext({ ...encryptionContext, [PUBLIC_KEY_CONTEXT_KEY]: PUBLIC_KEY_PLACEHOLDER });
  return { sign: options.sign === true, keys: [...keys], encryptionContext, encodedContext, chunkSize, cache: options.dataKeyCache, plaintextLength };
}

async function* encryptChunks(reader: ByteSourceReader, plan: Plan): AsyncGenerator<Uint8Array, void, undefined> {
  let chunkKey: Buffer | undefined;
  let pending: Buffer | undefined;
  try {
    const signing = plan.sign ? await newMessageSigner() : undefined;
    const encryptionContext = signing ? { ...plan.encryptionContext, [PUBLIC_KEY_CONTEXT_KEY]: signing.publicKey } : plan.encryptionContext;
    const suiteId = signing ? SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384 : SUITE_AES256_GCM_HKDF_SHA256_COMMIT;
    const materials = await (signing ? generateDataKey(plan.keys, encryptionContext) : dataKeyFor(plan));
    const messageId = randomBytes(MESSAGE_ID_BYTES);
    const keys = deriveMessageKeys(materials.dataKey, messageId, suiteId);
    zero(materials.dataKey);
    chunkKey = keys.chunkKey;
    const body = encodeHeaderBody({ suiteId, messageId, encryptionContext, encryptedDataKeys: materials.encryptedDataKeys, chunkSize: plan.chunkSize, commitment: keys.commitment });
    const header = Buffer.concat([body, headerTag(keys.headerKey, body)]);
    zero(keys.headerKey);
    // Every byte written goes through the signer, when there is one.
    const written = function* (pieces: Iterable<Buffer>) {
      for (const piece of pieces) {
        signing?.signer.update(piece);
        yield piece;
      }
    };
    yield* written([header]);

    // A chunk is sealed only once a byte beyond it has arrived (or the source has ended), because
    // its kind (more or final) is authenticated with it. Until then it is held in `pending`, a
    // copy: the source may reuse its buffers once asked for more.
    pending = Buffer.allocUnsafe(plan.chunkSize);
    let filled = 0;
    let index = 0;
    let total = 0;
    for (;;) {
      if (filled === plan.chunkSize) {
        if (await reader.atEnd()) break;
        if (index === MAX_CHUNK_INDEX) throw new EnvelopeError("InvalidArgument", "the plaintext is too long for this chunk size (2^32 chunks)");
        yield* written(sealChunk(chunkKey, messageId, index++, false, pending));
        filled = 0;
      }
      const piece = await reader.next(plan.chunkSize - filled);
      if (piece === undefined) break;
      pending.set(piece, filled);
      filled += piece.length;
      total += piece.length;
      checkLength(plan, total, false);
    }
    checkLength(plan, total, true);
    yield* written(sealChunk(chunkKey, messageId, index, true, pending.subarray(0, filled)));
    if (signing) yield signing.footer();
  } finally {
    zero(chunkKey, pending);
    await reader.close();
  }
}

async function dataKeyFor(plan: Plan): Promise<DataKeyMaterials> {
  const generate = () => generateDataKey(plan.keys, plan.encryptionContext);
  if (plan.cache === undefined || plan.plaintextLength === undefined) return generate();
  return plan.cache.materialsFor(plan.keys, plan.encodedContext, plan.plaintextLength, generate);
}

function checkLength(plan: Plan, total: number, ended: boolean): void {
  const declared = plan.plaintextLength;
  if (declared === undefined) return;
  if (total > declared || (ended && total !== declared)) {
    throw new EnvelopeError("InvalidArgument", `the source gave ${ended ? total : `more than ${declared}`} bytes, not the declared plaintextLength ${declared}`);
  }
}
