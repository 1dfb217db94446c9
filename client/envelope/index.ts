// Envelope encryption with KMS data keys: a streaming, chunked, key-committing message format
// (docs/envelope-format.md). Node only (node:crypto).
export { createDataKeyCache, type DataKeyCache, type DataKeyCacheLimits } from "./data-key-cache.js";
export { decrypt, decryptStream, type DecryptOptions, type DecryptResult, type MessageInfo } from "./decrypt.js";
export { encrypt, encryptStream, type EncryptOptions } from "./encrypt.js";
export type { ByteSource } from "./byte-source.js";
export type { EncryptionContext } from "./encryption-context.js";
export { EnvelopeError, type EnvelopeErrorCode, type KmsFailure } from "./errors.js";
export { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, parseEnvelopeHeader, type EncryptedDataKey, type EnvelopeHeader } from "./header.js";
export type { KmsDataKeyClient, WrappingKey } from "./kms.js";
