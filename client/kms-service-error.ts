import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../gen/kms/v1/error_pb.js";

/**
 * An error of the service, typed: the AWS exception name (ThrottlingException, NotFoundException,
 * ...) from the structured error detail, the gRPC/Connect code and the request id. It is still a
 * ConnectError, so code that handles those keeps working.
 */
export class KmsServiceError extends ConnectError {
  // The name stays "ConnectError": ConnectError's instanceof check goes by it, and Connect's own
  // code must keep recognising these errors. This class's instanceof goes by the prototype chain.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** The AWS exception name; for a failure that never reached the service, the code's name. */
  readonly exception: string;
  /** The server's request id (x-request-id), for finding the request in its log and audit trail. */
  readonly requestId: string | undefined;

  constructor(error: ConnectError) {
    super(error.rawMessage, error.code, error.metadata, undefined, error.cause);
    this.details = error.details;
    this.exception = error.findDetails(ErrorDetailSchema)[0]?.exception ?? Code[error.code] ?? "Unknown";
    this.requestId = error.metadata.get("x-request-id") ?? undefined;
  }

  /** Typed form of anything a call threw. */
  static from(error: unknown): KmsServiceError {
    return error instanceof KmsServiceError ? error : new KmsServiceError(ConnectError.from(error));
  }
}
