/**
 * What went wrong, as a stable string a caller can branch on. The message text is for people and
 * may change; the code does not.
 */
export type EnvelopeErrorCode =
  /** An option or input the caller gave is not acceptable (chunk size, keys, context, source). */
  | "InvalidArgument"
  /** The bytes are not an envelope message of a version and suite this library knows. */
  | "Unsupported"
  /** A header field is out of its bounds or not in canonical form. */
  | "MalformedHeader"
  /** A chunk's framing is wrong (unknown kind, wrong length, too many chunks). */
  | "MalformedChunk"
  /** The input ended before the header or the final chunk was complete. */
  | "Truncated"
  /** Bytes follow the final chunk. */
  | "TrailingData"
  /** The message's encryption context lacks a pair the caller required. */
  | "ContextMismatch"
  /** GenerateDataKey or Encrypt failed while encrypting (see kmsFailures). */
  | "KmsFailure"
  /** None of the message's encrypted data keys could be decrypted (see kmsFailures). */
  | "DataKeyUnavailable"
  /** The data key does not match the header's key commitment. */
  | "CommitmentMismatch"
  /** The header's authentication tag is wrong: some header byte was changed. */
  | "HeaderAuthenticationFailed"
  /** A chunk failed authentication: changed, moved, dropped, duplicated or from another message. */
  | "ChunkAuthenticationFailed"
  /** A signed message's signature does not verify (or its footer is malformed). */
  | "SignatureInvalid"
  /** The reader requires signed messages and this one is not. */
  | "SignatureRequired";

/** One failed call to KMS: which key, which operation and the AWS exception name it returned. */
export interface KmsFailure {
  readonly keyId: string;
  readonly operation: "GenerateDataKey" | "Encrypt" | "Decrypt";
  /** The AWS exception name (AccessDeniedException, NotFoundException, ...), or the error's name when the call never reached KMS. */
  readonly exception: string;
  readonly message: string;
}

/**
 * The only error the envelope functions throw for bad input, tampering or KMS refusals. (Errors
 * thrown by the caller's own source iterable or clientFor callback pass through unchanged.)
 */
export class EnvelopeError extends Error {
  override readonly name = "EnvelopeError";
  readonly code: EnvelopeErrorCode;
  /** For KmsFailure and DataKeyUnavailable: every KMS call that failed, in the order made. */
  readonly kmsFailures: readonly KmsFailure[];

  constructor(code: EnvelopeErrorCode, message: string, kmsFailures: readonly KmsFailure[] = []) {
    super(message);
    this.code = code;
    this.kmsFailures = kmsFailures;
  }
}
