import { ByteSourceReader, type ByteSource } from "./byte-source.js";
import { CHUNK_PREFIX_BYTES, CHUNK_TAG_BYTES, chunkDecipher, KIND_FINAL, KIND_MORE, MAX_CHUNK_INDEX } from "./chunk.js";
import { containsContext, type EncryptionContext } from "./encryption-context.js";
import { EnvelopeError } from "./errors.js";
import { MAX_HEADER_BYTES, PUBLIC_KEY_CONTEXT_KEY, SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384, tryParseHeader, type EnvelopeHeader } from "./header.js";
import { deriveMessageKeys, headerTag, sameBytes, zero, zeroAll } from "./key-schedule.js";
import { decryptDataKey, type KmsDataKeyClient } from "./kms.js";
import { checkSignature, MAX_SIGNATURE_BYTES, messageVerifier } from "./signing.js";

/** What a reader learns once a message's header is authenticated. */
export interface MessageInfo {
  /** The message's whole encryption context (a superset of the one required). */
  readonly encryptionContext: Record<string, string>;
  /** The ARN of the KMS key whose encrypted data key was used. */
  readonly keyArn: string;
  readonly chunkSize: number;
  /**
   * Whether the message says it is signed (suite 0x0002). The signature itself is checked at the
   * end: only an iteration that ends without an error has verified it.
   */
  readonly signed: boolean;
}

export interface DecryptOptions {
  /**
   * The client to call Decrypt with for a key ARN named in the message, or undefined to skip that
   * key. This is also the allow-list: return clients only for keys you expect, so a forged
   * message cannot make you call a key of someone else's choosing.
   */
  readonly clientFor: (keyArn: string) => KmsDataKeyClient | undefined;
  /** Pairs the message's context must contain (it may hold more); refused before any KMS call. */
  readonly encryptionContext?: EncryptionContext;
  /** Called after each verified chunk is released, with the plaintext bytes released so far. */
  readonly onProgress?: (bytes: number) => void;
  /** Called once the header is authenticated, before any plaintext. */
  readonly onHeader?: (info: MessageInfo) => void;
  /**
   * Refuse messages that are not signed (SignatureRequired), before any KMS call. Readers that
   * must know a message was not written by another reader set it: anyone who can decrypt a
   * message's data key can write an unsigned message under it.
   */
  readonly requireSignature?: boolean;
}

/**
 * Decrypts an envelope message as a stream. Every chunk is verified before its plaintext is
 * released, but verified chunks are released before the end of the message is seen: the output
 * is complete only when the iteration ends without an error. A consumer that must not act on
 * part of a message should use decrypt(), or hold what it gets until the end. For a signed
 * message this matters twice: a chunk's tag shows it was made with the data key, which any
 * reader holds, and only the signature at the end shows who wrote it (the final chunk is held
 * until the signature verified; the chunks before it are not).
 */
export function decryptStream(source: ByteSource, options: DecryptOptions): AsyncIterable<Uint8Array> {
  if (typeof options?.clientFor !== "function") throw new EnvelopeError("InvalidArgument", "clientFor must be a function");
  if (options.requireSignature !== undefined && typeof options.requireSignature !== "boolean") throw new EnvelopeError("InvalidArgument", "requireSignature must be a boolean");
  const required = { ...(options.encryptionContext ?? {}) };
  for (const value of Object.values(required)) if (typeof value !== "string") throw new EnvelopeError("InvalidArgument", "encryption context values must be strings");
  return decryptChunks(new ByteSourceReader(source), options, required);
}

/** The result of decrypt(): the plaintext and what the header said. */
export interface DecryptResult extends MessageInfo {
  readonly plaintext: Uint8Array;
}

/** Decrypts a whole message; nothing is returned unless every byte of it verified. */
export async function decrypt(data: Uint8Array, options: Omit<DecryptOptions, "onProgress">): Promise<DecryptResult> {
  if (!(data instanceof Uint8Array)) throw new EnvelopeError("InvalidArgument", "the data must be a Uint8Array");
  let info: MessageInfo | undefined;
  const parts: Uint8Array[] = [];
  try {
    for await (const part of decryptStream([data], { ...options, onHeader: (i) => ((info = i), options.onHeader?.(i)) })) parts.push(part);
  } catch (error) {
    zeroAll(parts);
    throw error;
  }
  const plaintext = Buffer.concat(parts);
  zeroAll(parts);
  return { plaintext, ...info! };
}

async function* decryptChunks(reader: ByteSourceReader, options: DecryptOptions, required: EncryptionContext): AsyncGenerator<Uint8Array, void, undefined> {
  let chunkKey: Buffer | undefined;
  try {
    const { header, bytes: headerBytes } = await readHeader(reader);
    const signed = header.suiteId === SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384;
    if (options.requireSignature === true && !signed) throw new EnvelopeError("SignatureRequired", "the message is not signed");
    if (!containsContext(header.encryptionContext, required)) {
      throw new EnvelopeError("ContextMismatch", "the message's encryption context lacks a required pair");
    }
    // Every byte before the signature goes through the verifier, as it went through the signer.
    const verification = signed ? messageVerifier(header.encryptionContext[PUBLIC_KEY_CONTEXT_KEY]!) : undefined;
    const take = (n: number): Uint8Array => {
      const bytes = reader.take(n);
      verification?.verifier.update(bytes);
      return bytes;
    };
    verification?.verifier.update(headerBytes);
    const { dataKey, keyArn } = await decryptDataKey(header.encryptedDataKeys, header.encryptionContext, options.clientFor);
    const keys = deriveMessageKeys(dataKey, header.messageId, header.suiteId);
    zero(dataKey);
    chunkKey = keys.chunkKey;
    // The commitment first: it shows this data key is the one the header was written for, so a
    // message whose data key copies differ cannot show different plaintexts to different readers.
    const committed = sameBytes(keys.commitment, header.commitment);
    const authentic = committed && sameBytes(headerTag(keys.headerKey, header.authenticated), header.tag);
    zero(keys.headerKey);
    if (!committed) throw new EnvelopeError("CommitmentMismatch", "the data key does not match the header's key commitment");
    if (!authentic) throw new EnvelopeError("HeaderAuthenticationFailed", "the header was altered");
    options.onHeader?.({ encryptionContext: header.encryptionContext, keyArn, chunkSize: header.chunkSize, signed });

    let released = 0;
    for (let index = 0; ; index++) {
      if (!(await reader.fill(CHUNK_PREFIX_BYTES))) throw new EnvelopeError("Truncated", "the message ends before its final chunk");
      const prefix = Buffer.from(take(CHUNK_PREFIX_BYTES));
      const kind = prefix[0]!;
      const length = prefix.readUInt32BE(1);
      if (kind !== KIND_MORE && kind !== KIND_FINAL) throw new EnvelopeError("MalformedChunk", `chunk ${index} has unknown kind ${kind}`);
      const final = kind === KIND_FINAL;
      if (final ? length > header.chunkSize : length !== header.chunkSize) throw new EnvelopeError("MalformedChunk", `chunk ${index} has length ${length}`);
      if (!final && index === MAX_CHUNK_INDEX) throw new EnvelopeError("MalformedChunk", "more than 2^32 chunks");
      // The ciphertext is deciphered as it arrives (no copy of it is made); the plaintext is held
      // until the tag has been checked.
      const decipher = chunkDecipher(chunkKey, header.messageId, index, final);
      const plaintext: Buffer[] = [];
      try {
        for (let remaining = length; remaining > 0; ) {
          const piece = await reader.next(remaining);
          if (piece === undefined) throw new EnvelopeError("Truncated", "the message ends inside a chunk");
          verification?.verifier.update(piece);
          plaintext.push(decipher.update(piece));
          remaining -= piece.length;
        }
        if (!(await reader.fill(CHUNK_TAG_BYTES))) throw new EnvelopeError("Truncated", "the message ends inside a chunk");
        decipher.setAuthTag(take(CHUNK_TAG_BYTES));
        try {
          decipher.final();
        } catch {
          throw new EnvelopeError("ChunkAuthenticationFailed", `chunk ${index} failed authentication`);
        }
        if (final && verification) await checkFooter(reader, verification);
        if (final && !(await reader.atEnd())) throw new EnvelopeError("TrailingData", "bytes follow the final chunk");
      } catch (error) {
        zeroAll(plaintext);
        throw error;
      }
      for (const part of plaintext) {
        released += part.length;
        if (part.length > 0) yield part;
      }
      options.onProgress?.(released);
      if (final) return;
    }
  } finally {
    zero(chunkKey);
    await reader.close();
  }
}

/** Reads a signed message's footer and checks its signature over everything before it. */
async function checkFooter(reader: ByteSourceReader, verification: ReturnType<typeof messageVerifier>): Promise<void> {
  if (!(await reader.fill(2))) throw new EnvelopeError("Truncated", "the message ends before its signature");
  const length = Buffer.from(reader.take(2)).readUInt16BE(0);
  if (length < 1 || length > MAX_SIGNATURE_BYTES) throw new EnvelopeError("SignatureInvalid", `a signature of ${length} bytes`);
  if (!(await reader.fill(length))) throw new EnvelopeError("Truncated", "the message ends inside its signature");
  checkSignature(verification, reader.take(length));
}

/**
 * Buffers exactly the header (bounded by the parser's field limits) and parses it; also its
 * bytes. It never waits for more than the next field needs, so a bad length is refused at once.
 */
async function readHeader(reader: ByteSourceReader): Promise<{ header: EnvelopeHeader; bytes: Uint8Array }> {
  let needed = 1;
  for (;;) {
    if (!(await reader.fill(needed))) throw new EnvelopeError("Truncated", reader.length === 0 ? "the input is empty" : "the input ends inside the header");
    // A copy (its fields are used after later pulls from the source) of at most one header.
    const parsed = tryParseHeader(Buffer.from(reader.peek(Math.min(reader.length, MAX_HEADER_BYTES))));
    if ("header" in parsed) return { header: parsed.header, bytes: reader.take(parsed.length) };
    needed = parsed.needed;
  }
}
