import { errorCatalog, type ExceptionName } from "../errors/catalog.js";

/**
 * Exceptions of the AWS protocol layer (request framing and SigV4) that the gRPC catalog does not
 * hold, because they cannot arise over gRPC: the names AWS's JSON services send, with their HTTP
 * status.
 */
export const awsProtocolExceptions = {
  /** The body is not JSON, or a member has the wrong JSON type (AWS: SerializationException). */
  SerializationException: 400,
  /** X-Amz-Target names no operation of TrentService. */
  UnknownOperationException: 400,
  /** The Authorization header is there but malformed, or lacks a required part. */
  IncompleteSignatureException: 400,
  /** The signature does not match, or the request is outside its validity (scope, time). */
  InvalidSignatureException: 400,
} as const satisfies Record<string, number>;

/** Every exception name the AWS endpoint can answer with: the catalog's and the protocol's. */
export type AwsExceptionName = ExceptionName | keyof typeof awsProtocolExceptions;

/** A refusal of the AWS protocol layer, carrying the AWS exception name to answer with. */
export class AwsProtocolError extends Error {
  override readonly name = "AwsProtocolError";

  constructor(
    readonly exception: AwsExceptionName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The HTTP status AWS sends this exception with. */
  get httpStatus(): number {
    return errorStatus(this.exception);
  }
}

/** The HTTP status of an exception: the catalog's, or the protocol table's. */
export function errorStatus(exception: AwsExceptionName): number {
  if (Object.hasOwn(awsProtocolExceptions, exception)) return awsProtocolExceptions[exception as keyof typeof awsProtocolExceptions];
  return errorCatalog[exception as ExceptionName].httpStatus;
}

/** The AWS JSON 1.1 error body: `{"__type": "<ExceptionName>", "message": "..."}`. */
export function errorBody(exception: AwsExceptionName, message: string): { __type: string; message: string } {
  return { __type: exception, message };
}

/** The status and body of an AWS JSON 1.1 error answer, for the HTTP layer. */
export function errorResponse(exception: AwsExceptionName, message: string): { status: number; body: { __type: string; message: string } } {
  return { status: errorStatus(exception), body: errorBody(exception, message) };
}
