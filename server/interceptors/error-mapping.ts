import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/kms/v1/error_pb.js";
import { requestContextKey } from "../context.js";
import type { ExceptionName } from "../errors/catalog.js";
import { KmsError } from "../errors/kms-error.js";

/**
 * Turns every failure into a status code plus an ErrorDetail naming the AWS exception.
 * A KmsError keeps its message; anything else is an internal error whose cause goes to the
 * log (through ConnectError.cause), never to the client.
 */
export function createErrorMappingInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      throw toConnectError(e, req.contextValues.get(requestContextKey)?.requestId ?? "");
    }
  };
}

/** The exception name for statuses that the framework raises itself. */
const frameworkExceptions: Partial<Record<Code, ExceptionName>> = {
  [Code.Unimplemented]: "UnsupportedOperationException",
  [Code.InvalidArgument]: "ValidationException",
};

export function toConnectError(e: unknown, requestId: string): ConnectError {
  if (e instanceof KmsError) return withDetail(new ConnectError(e.message, e.code), e.exception, requestId);
  if (e instanceof ConnectError) {
    const exception = frameworkExceptions[e.code];
    return exception && e.findDetails(ErrorDetailSchema).length === 0 ? withDetail(e, exception, requestId) : e;
  }
  const internal = new ConnectError(`internal error; the server log has the cause under request id ${requestId}`, Code.Internal, undefined, undefined, e);
  return withDetail(internal, "KMSInternalException", requestId);
}

function withDetail(error: ConnectError, exception: ExceptionName, requestId: string): ConnectError {
  error.details.push({ desc: ErrorDetailSchema, value: create(ErrorDetailSchema, { exception, message: error.rawMessage, requestId }) });
  return error;
}
