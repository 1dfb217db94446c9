import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { kmsClientOver, type KmsClient, type KmsClientOptions } from "./kms-client.js";

export { KmsServiceError } from "./kms-service-error.js";
export type { KmsClient, KmsClientOptions } from "./kms-client.js";
export type { KmsCredentials } from "./credentials.js";

/** Options of a client in a browser. */
export interface BrowserKmsClientOptions extends KmsClientOptions {
  /** The server; it must list this page's origin in KMS_CORS_ORIGINS. */
  readonly baseUrl: string;
  /** The Connect protocol (default) or gRPC-web; browsers cannot speak plain gRPC. */
  readonly protocol?: "connect" | "grpc-web";
}

/** A typed KMS client for browsers, over fetch. */
export function createKmsClient(options: BrowserKmsClientOptions): KmsClient {
  return kmsClientOver(
    (interceptors) =>
      options.protocol === "grpc-web" ? createGrpcWebTransport({ baseUrl: options.baseUrl, interceptors }) : createConnectTransport({ baseUrl: options.baseUrl, interceptors }),
    options,
  );
}
