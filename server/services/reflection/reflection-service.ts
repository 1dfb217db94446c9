import type { DescFile, MessageInitShape } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ServerReflection, ServerReflectionRequest, ServerReflectionResponseSchema } from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ServerReflectionV1Alpha } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { ReflectionIndex } from "./reflection-index.js";

/** The answer to one reflection request, without the echoed request (each version adds its own). */
type Answer = NonNullable<MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"]>;

/** What the stream needs to know about the server: the index, and a way to hear that it drains. */
export interface ReflectionOptions {
  readonly index: ReflectionIndex;
  /** Calls back when the server drains (then open streams end); returns the unsubscribe. */
  readonly onDrain?: (listener: () => void) => () => void;
}

/**
 * gRPC server reflection (grpc.reflection.v1), for grpcurl, `buf curl` without --schema,
 * Postman and the like: the served services, and the descriptors of the files that declare
 * them, with their imports. One bidirectional stream answers requests in order; failures are
 * error_response messages on the stream (NOT_FOUND for an unknown file or symbol), not
 * errors of the call. The stream ends when the client ends it or the server drains.
 */
export function createReflectionService(options: ReflectionOptions): ServiceImpl<typeof ServerReflection> {
  return {
    async *serverReflectionInfo(requests, context) {
      const sent = new Set<string>();
      for await (const req of untilDrained(requests, context, options.onDrain)) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answer(options.index, req, sent) };
      }
    },
  };
}

/** The same service under its older name, grpc.reflection.v1alpha, which some tools still ask for first or only. */
export function createReflectionServiceV1Alpha(options: ReflectionOptions): ServiceImpl<typeof ServerReflectionV1Alpha> {
  return {
    async *serverReflectionInfo(requests, context) {
      const sent = new Set<string>();
      for await (const req of untilDrained(requests, context, options.onDrain)) {
        // The v1alpha messages are field for field those of v1.
        const messageResponse = answer(options.index, req as unknown as ServerReflectionRequest, sent);
        yield { validHost: req.host, originalRequest: req, messageResponse: messageResponse as never };
      }
    },
  };
}

/** Answers one request. */
function answer(index: ReflectionIndex, req: ServerReflectionRequest, sent: Set<string>): Answer {
  const files = (file: DescFile | undefined, what: string): Answer =>
    file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.withDependencies(file, sent) } } : error(Code.NotFound, `${what} not found`);
  const request = req.messageRequest;
  switch (request.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: index.serviceNames.map((name) => ({ name })) },
      };
    case "fileByFilename":
      return files(index.fileByName(request.value), `file ${quote(request.value)}`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(request.value), `symbol ${quote(request.value)}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = request.value;
      return files(index.fileContainingExtension(containingType, extensionNumber), `extension ${extensionNumber} of ${quote(containingType)}`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbersOf(request.value);
      if (!numbers) return error(Code.NotFound, `type ${quote(request.value)} not found`);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: request.value, extensionNumber: numbers } };
    }
    default:
      return error(Code.InvalidArgument, "the request names nothing to look up");
  }
}

function error(code: Code, message: string): Answer {
  // Connect's codes are gRPC's status codes.
  return { case: "errorResponse", value: { errorCode: code, errorMessage: message } };
}

function quote(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}...` : name);
}

const STOP = Symbol("stop");

/** The requests of a stream until the client ends it, goes away, or the server drains. */
async function* untilDrained<T>(requests: AsyncIterable<T>, context: HandlerContext, onDrain?: (listener: () => void) => () => void): AsyncGenerator<T> {
  const iterator = requests[Symbol.asyncIterator]();
  let stop = () => {};
  const stopped = new Promise<typeof STOP>((resolve) => (stop = () => resolve(STOP)));
  const unsubscribe = onDrain?.(stop);
  context.signal.addEventListener("abort", stop, { once: true });
  let finished = false;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stopped]);
      if (next === STOP || next.done) {
        finished = next !== STOP;
        return;
      }
      yield next.value;
    }
  } finally {
    unsubscribe?.();
    context.signal.removeEventListener("abort", stop);
    // A pending read is left to the transport, which ends the request stream with the call.
    if (!finished) void iterator.return?.()?.catch(() => undefined);
  }
}
