import { errorCatalog, type ExceptionName } from "./catalog.js";

/**
 * The error every layer throws for a client-visible failure. It names an exception of the
 * catalog; the error-mapping interceptor turns it into a status with an ErrorDetail.
 * The message is sent to the client, so it must never hold plaintext, key material or secrets.
 */
export class KmsError extends Error {
  override readonly name = "KmsError";

  constructor(
    readonly exception: ExceptionName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The gRPC status code of the exception. */
  get code() {
    return errorCatalog[this.exception].code;
  }
}

/** Shorthand for the most common client error. */
export function validationError(message: string): KmsError {
  return new KmsError("ValidationException", message);
}
