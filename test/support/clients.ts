import { create, fromBinary, toBinary, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import type { ExecutionContext } from "ava";
import { ErrorDetailSchema } from "../../gen/kms/v1/error_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/key_management_service_pb.js";
import { errorCatalog, type ExceptionName } from "../../server/errors/catalog.js";

/**
 * The calls a test makes, whatever the client underneath: the Connect client's shape
 * (request init objects in, response messages out, ConnectError on failure).
 */
export type KmsClient = Client<typeof KeyManagementService>;

/** Where a client connects: a server's URL and the session token it authenticates with (none for anonymous calls). */
export interface Endpoint {
  readonly url: string;
  readonly token?: string;
}

/** A way of reaching the server: a name for test titles and a factory. */
export interface ClientKind {
  readonly name: string;
  connect(endpoint: Endpoint, region?: string): KmsClient;
}

/**
 * Every test call has a deadline: a call the server never answers then fails with its own
 * name and DeadlineExceeded instead of holding the whole run until ava's idle timeout (120 s),
 * while a slow one (RSA 4096 key generation queued behind others) still has most of that.
 */
export const CALL_DEADLINE_MS = 100_000;

/** Sets the bearer token and the region header on every call. */
function callHeaders(endpoint: Endpoint, region: string | undefined): Interceptor[] {
  return [
    (next) => (req) => {
      if (endpoint.token !== undefined) req.header.set("authorization", `Bearer ${endpoint.token}`);
      if (region !== undefined) req.header.set("x-kms-region", region);
      return next(req);
    },
  ];
}

/** Connect's client speaking gRPC over HTTP/2. */
export const connectGrpc: ClientKind = {
  name: "connect-grpc",
  connect: (endpoint, region) => createClient(KeyManagementService, createGrpcTransport({ baseUrl: endpoint.url, defaultTimeoutMs: CALL_DEADLINE_MS, interceptors: callHeaders(endpoint, region) })),
};

/** Connect's client speaking the Connect protocol over HTTP/1.1 (as curl and browsers do). */
export const connectJson: ClientKind = {
  name: "connect-http1",
  connect: (endpoint, region) =>
    createClient(KeyManagementService, createConnectTransport({ baseUrl: endpoint.url, httpVersion: "1.1", useBinaryFormat: false, defaultTimeoutMs: CALL_DEADLINE_MS, interceptors: callHeaders(endpoint, region) })),
};

/** Connect's client speaking gRPC-web over HTTP/1.1, as a browser would. */
export const connectGrpcWeb: ClientKind = {
  name: "grpc-web",
  connect: (endpoint, region) => createClient(KeyManagementService, createGrpcWebTransport({ baseUrl: endpoint.url, httpVersion: "1.1", defaultTimeoutMs: CALL_DEADLINE_MS, interceptors: callHeaders(endpoint, region) })),
};

/** The plain @grpc/grpc-js client, with messages serialized by protobuf-es; errors become ConnectErrors. */
export const grpcJs: ClientKind = {
  name: "grpc-js",
  connect(endpoint, region) {
    const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    for (const method of KeyManagementService.methods) {
      const m = method as DescMethodUnary;
      definition[m.localName] = {
        path: `/${KeyManagementService.typeName}/${m.name}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (msg: unknown) => Buffer.from(toBinary(m.input, msg as MessageShape<typeof m.input>)),
        requestDeserialize: (buf: Buffer) => fromBinary(m.input, buf),
        responseSerialize: (msg: unknown) => Buffer.from(toBinary(m.output, msg as MessageShape<typeof m.output>)),
        responseDeserialize: (buf: Buffer) => fromBinary(m.output, buf),
      };
    }
    const Ctor = grpc.makeGenericClientConstructor(definition, "KeyManagementService");
    const raw = new Ctor(new URL(endpoint.url).host, grpc.credentials.createInsecure()) as unknown as Record<
      string,
      (req: unknown, md: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void
    >;
    const client: Record<string, unknown> = {};
    for (const method of KeyManagementService.methods) {
      const m = method as DescMethodUnary;
      client[m.localName] = (init: MessageInitShape<typeof m.input>) =>
        new Promise((resolve, reject) => {
          const md = new grpc.Metadata();
          if (endpoint.token !== undefined) md.set("authorization", `Bearer ${endpoint.token}`);
          if (region !== undefined) md.set("x-kms-region", region);
          raw[m.localName]!.call(raw, create(m.input, init), md, { deadline: Date.now() + CALL_DEADLINE_MS }, (err, res) => (err ? reject(fromGrpcJsError(err)) : resolve(res)));
        });
    }
    return client as KmsClient;
  },
};

function fromGrpcJsError(err: grpc.ServiceError): ConnectError {
  const headers = new Headers();
  for (const [k, v] of Object.entries(err.metadata.getMap())) {
    headers.set(k, typeof v === "string" ? v : Buffer.from(v).toString("base64").replace(/=+$/, ""));
  }
  headers.set("grpc-status", String(err.code));
  if (!headers.has("grpc-message")) headers.set("grpc-message", encodeURIComponent(err.details));
  return findTrailerError(headers) ?? new ConnectError(err.details, err.code as number as Code);
}

/** The clients every end-to-end case runs through. */
export const allClients: readonly ClientKind[] = [connectGrpc, connectJson, grpcJs];

/** The exception name and code of a failed call, from the structured detail (never from message text). */
export function kmsErrorOf(error: unknown): { exception: string; code: Code; message: string } {
  const e = ConnectError.from(error);
  const detail = e.findDetails(ErrorDetailSchema)[0];
  return { exception: detail?.exception ?? "(no ErrorDetail)", code: e.code, message: e.rawMessage };
}

/** Awaits a call that must fail and returns its exception name and code. */
export async function failureOf(call: Promise<unknown>): Promise<{ exception: string; code: Code; message: string }> {
  try {
    await call;
  } catch (error) {
    return kmsErrorOf(error);
  }
  throw new Error("the call succeeded but was expected to fail");
}

/** Asserts that a call fails with the exception and the status code the catalog gives it; returns its message. */
export async function expectFailure(t: ExecutionContext, call: Promise<unknown>, exception: ExceptionName, what?: string): Promise<string> {
  const failure = await failureOf(call);
  const label = what === undefined ? failure.message : `${what}: ${failure.message}`;
  t.is(failure.exception, exception, label);
  t.is(failure.code, errorCatalog[exception].code, label);
  return failure.message;
}
