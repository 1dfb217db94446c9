import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { ConnectError, type ContextValues } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/kms/v1/error_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/key_management_service_pb.js";
import { sigV4RequestKey, transportKey } from "../context.js";
import { errorCatalog, type ExceptionName } from "../errors/catalog.js";
import { KmsError } from "../errors/kms-error.js";
import { PlainHeaders } from "../grpc/plain-headers.js";
import { unaryRequest, type UnaryInvoker, type UnaryRoute } from "../grpc/unary-invoker.js";
import type { NodeHandlerFn } from "../transport/http-listener.js";
import { AwsProtocolError, errorResponse } from "./aws-errors.js";
import { AWS_JSON_CONTENT_TYPE, decodeRequest, encodeResponse, operationOf } from "./aws-json-codec.js";

/** The largest request body the endpoint reads (the largest KMS request is a few KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** What the listener hands every handler (HTTP/1.1 or the HTTP/2 compatibility objects). */
type Request = Parameters<NodeHandlerFn>[0];
type Response = Parameters<NodeHandlerFn>[1];

/**
 * The AWS JSON 1.1 endpoint of KMS (POST / with X-Amz-Target: TrentService.<Operation>), so AWS
 * SDKs work unchanged. A request is decoded from JSON into the contract's message and runs
 * through the same interceptor chain and handlers as gRPC, the SigV4 signature checked by the
 * authentication interceptor (and audited like any other outcome); the answer is encoded back,
 * errors as {"__type", "message"} with AWS's HTTP status. Returns false for other requests.
 */
export function createAwsEndpoint(routes: ReadonlyMap<string, UnaryRoute>, invoke: UnaryInvoker, contextValuesFor: (req: Request) => ContextValues) {
  return (req: Request, res: Response): boolean => {
    // An AWS JSON request: the target header, or the content type without it (then UnknownOperationException).
    const contentType = String(req.headers["content-type"] ?? "");
    if (req.method !== "POST" || (req.headers["x-amz-target"] === undefined && !contentType.startsWith("application/x-amz-json"))) return false;
    void serve(req, res);
    return true;
  };

  async function serve(req: Request, res: Response): Promise<void> {
    try {
      const body = await readBody(req);
      const target = req.headers["x-amz-target"];
      const method = operationOf(target === undefined ? undefined : String(target));
      const route = routes.get(`/${KeyManagementService.typeName}/${method.name}`)!;
      const message = decodeRequest(method, parseJson(body));
      const [path, query] = (req.url ?? "/").split("?", 2) as [string, string | undefined];
      // The region is the credential scope's, set by the authentication interceptor once the signature over it is checked.
      const header = new PlainHeaders();
      const values = contextValuesFor(req)
        .set(transportKey, "aws-json")
        .set(sigV4RequestKey, { method: req.method ?? "POST", path, query, headers: req.headers as Record<string, string | string[] | undefined>, body });
      const response = await invoke(route, unaryRequest(route, message, header, values, () => new AbortController().signal, `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`));
      send(res, 200, response.header.get("x-request-id") ?? randomUUID(), encodeResponse(method, response.message));
    } catch (e) {
      const { exception, message, requestId } = describe(e);
      const answer = errorResponse(exception, message);
      send(res, answer.status, requestId, answer.body);
    }
  }
}

function send(res: Response, status: number, requestId: string, body: unknown): void {
  if (res.headersSent || (res as { destroyed?: boolean }).destroyed) return;
  // Date lets an AWS SDK correct its clock after a signature refused as expired.
  (res as unknown as ServerResponse).writeHead(status, { "content-type": AWS_JSON_CONTENT_TYPE, "x-amzn-requestid": requestId, date: new Date().toUTCString() });
  res.end(JSON.stringify(body));
}

/** The exception name, message and request id of any failure, before or inside the chain. */
function describe(e: unknown): { exception: ExceptionName; message: string; requestId: string } {
  if (e instanceof KmsError) return { exception: e.exception, message: e.message, requestId: randomUUID() };
  const error = ConnectError.from(e);
  const named = error.findDetails(ErrorDetailSchema)[0]?.exception;
  const exception = named !== undefined && Object.hasOwn(errorCatalog, named) ? (named as ExceptionName) : "KMSInternalException";
  return { exception, message: error.rawMessage, requestId: error.metadata.get("x-request-id") ?? randomUUID() };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new AwsProtocolError("SerializationException", "the request body is not valid JSON");
  }
}

function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        reject(new AwsProtocolError("ValidationException", `the request body is larger than ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}
