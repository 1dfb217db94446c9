import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { transportKey } from "../context.js";
import { toConnectError } from "../interceptors/error-mapping.js";
import { encodeGrpcMessage, encodeStatusDetails } from "./grpc-status.js";
import { PlainHeaders } from "./plain-headers.js";
import { unaryRequest, type UnaryInvoker, type UnaryRoute } from "./unary-invoker.js";

/** The largest request message the fast path reads (the KMS's largest request is a few KB). */
/** The largest request body either path reads (connect-node's readMaxBytes is the same, decompressed). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const GRPC_CONTENT_TYPES = new Set(["application/grpc", "application/grpc+proto"]);

/**
 * Serves one HTTP/2 stream itself, returning the promise of that work (it never rejects), or
 * returns undefined to leave the stream to the next server.
 */
export type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => Promise<void> | undefined;

/**
 * Serves unary gRPC calls over HTTP/2 directly on the stream, through the same interceptor chain
 * and handlers, at a fraction of connect-node's cost per call: it works on the raw HTTP/2
 * stream (no compatibility request and response objects) and allocates no abort signals, async
 * iterables or stream pipelines. Leaves alone anything it does not handle (gRPC-web, Connect,
 * compressed or streaming calls, unknown paths, and calls from a browser origin, which need
 * CORS), which connect-node then serves.
 */
export function createGrpcFastPath(routes: ReadonlyMap<string, UnaryRoute>, invoke: UnaryInvoker, contextValuesFor: (socket: { remoteAddress?: string | undefined }) => ContextValues): StreamHandler {
  return (stream, headers) => {
    if (headers[":method"] !== "POST" || headers.origin !== undefined) return undefined;
    if (!GRPC_CONTENT_TYPES.has(String(headers["content-type"]))) return undefined;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return undefined;
    const route = routes.get(String(headers[":path"]));
    // The connection is known now; once the client resets the stream it is gone from it, and a
    // request must never run without the facts (source address, certificate) policies check.
    const socket = stream.session?.socket;
    if (!route || !socket) return undefined;
    return serve(route, stream, headers, socket);
  };

  async function serve(route: UnaryRoute, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, socket: { remoteAddress?: string | undefined }): Promise<void> {
    // Handlers rarely look at the abort signal, and making one per request is costly: it is
    // made on first use, and aborted if the client goes away before the answer.
    let aborted: AbortController | undefined;
    const signal = () => (aborted ??= new AbortController()).signal;
    let finished = false;
    // A reset with an error code surfaces as an error on the stream; "close" is what acts on any reset.
    stream.on("error", ignore);
    stream.once("close", () => {
      if (!finished) aborted?.abort();
    });
    try {
      const message = await readMessage(stream, route);
      // A reset, even RST_STREAM NO_ERROR (which Node reports as the end of the body and then
      // closes the stream), means the client went away: the call is not run on what was read.
      if (stream.closed || stream.destroyed) throw new ConnectError("the client reset the stream", Code.Canceled);
      const request = unaryRequest(route, message, PlainHeaders.fromIncoming(headers), contextValuesFor(socket).set(transportKey, "grpc-fast-path"), signal, `http://${headers[":authority"] ?? "localhost"}${headers[":path"]}`);
      const response = await invoke(route, request);
      const body = toBinary(route.method.output, response.message);
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = 0;
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      if (stream.destroyed) return;
      const responseHeaders = headersObject(response.header);
      responseHeaders[":status"] = 200;
      responseHeaders["content-type"] = "application/grpc+proto";
      stream.respond(responseHeaders, { waitForTrailers: true });
      stream.once("wantTrailers", () => {
        const trailers = headersObject(response.trailer);
        trailers["grpc-status"] = "0";
        stream.sendTrailers(trailers);
      });
      stream.end(frame);
    } catch (e) {
      const error = e instanceof ConnectError ? e : toConnectError(e, "");
      if (stream.destroyed || stream.headersSent) return;
      // A trailers-only response: the status travels in the one HEADERS frame that ends the stream.
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc+proto",
          ...headersObject(error.metadata),
          "grpc-status": String(error.code),
          "grpc-message": encodeGrpcMessage(error.rawMessage),
          ...(error.details.length > 0 ? { "grpc-status-details-bin": encodeStatusDetails(error) } : {}),
        },
        { endStream: true },
      );
    } finally {
      finished = true;
    }
  }
}

function ignore(): void {}

/** The request body, refused past the size limit. */
function readBody(stream: ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES + 5) {
        stream.off("data", onData);
        settled = true;
        reject(new ConnectError(`the request is larger than ${MAX_REQUEST_BYTES} bytes`, Code.ResourceExhausted));
      } else chunks.push(chunk);
    };
    stream.on("data", onData);
    stream.once("end", () => {
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    // A client that goes away mid-request ends the wait too. Every stream closes, so the error
    // (and its stack trace) is made only when the body was still awaited.
    stream.once("close", () => {
      if (!settled) reject(new ConnectError("the client closed the stream before the request was complete", Code.Canceled));
    });
  });
}

/** Reads the one length-prefixed, uncompressed message of a unary call. */
async function readMessage(stream: ServerHttp2Stream, route: UnaryRoute): Promise<unknown> {
  const data = await readBody(stream);
  if (data.length < 5) throw new ConnectError("the request has no gRPC message", Code.InvalidArgument);
  if (data[0] !== 0) throw new ConnectError("compressed messages are not supported", Code.Unimplemented);
  const length = data.readUInt32BE(1);
  if (data.length !== 5 + length) throw new ConnectError("a unary request holds exactly one message", Code.InvalidArgument);
  try {
    return fromBinary(route.method.input, data.subarray(5));
  } catch {
    throw toConnectError(new ConnectError("the request message cannot be parsed", Code.InvalidArgument), "");
  }
}

/** Headers as a fresh object that Node's HTTP/2 API takes. */
function headersObject(headers: Headers): OutgoingHttpHeaders {
  if (headers instanceof PlainHeaders) return headers.toObject();
  const out: OutgoingHttpHeaders = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
