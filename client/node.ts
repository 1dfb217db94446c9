import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { kmsClientOver, type KmsClient, type KmsClientOptions } from "./kms-client.js";

export { KmsServiceError } from "./kms-service-error.js";
export type { KmsClient, KmsClientOptions } from "./kms-client.js";
export type { KmsCredentials } from "./credentials.js";

/** Options of a client in Node. */
export interface NodeKmsClientOptions extends KmsClientOptions {
  /** The server, e.g. http://127.0.0.1:8080 or https://kms.internal:8443. */
  readonly baseUrl: string;
  /** gRPC over HTTP/2 (default), the Connect protocol, or gRPC-web. */
  readonly protocol?: "grpc" | "connect" | "grpc-web";
}

/** A typed KMS client for Node: gRPC over HTTP/2 by default, or Connect / gRPC-web. */
export function createKmsClient(options: NodeKmsClientOptions): KmsClient {
  const protocol = options.protocol ?? "grpc";
  return kmsClientOver((interceptors) => {
    if (protocol === "connect") return createConnectTransport({ baseUrl: options.baseUrl, httpVersion: "1.1", interceptors });
    if (protocol === "grpc-web") return createGrpcWebTransport({ baseUrl: options.baseUrl, httpVersion: "1.1", interceptors });
    return createGrpcTransport({ baseUrl: options.baseUrl, interceptors });
  }, options);
}
