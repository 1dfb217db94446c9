import { create, isMessage, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type Interceptor, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { PlainHeaders } from "./plain-headers.js";

/** A unary handler, as a ServiceImpl holds it. */
type UnaryHandler = (request: unknown, context: HandlerContext) => unknown;

/** One unary RPC a service implements: its descriptors and handler, or none (UNIMPLEMENTED). */
export interface UnaryRoute {
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly handler?: UnaryHandler;
}

/** Calls one unary RPC through the interceptor chain. */
export type UnaryInvoker = (route: UnaryRoute, request: UnaryRequest) => Promise<UnaryResponse>;

/** The unary routes of services, by request path ("/kms.v1.KeyManagementService/Encrypt"). */
export function unaryRoutes(services: ReadonlyArray<{ service: DescService; impl: object }>): Map<string, UnaryRoute> {
  const routes = new Map<string, UnaryRoute>();
  for (const { service, impl } of services) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      const handler = (impl as Record<string, UnaryHandler | undefined>)[method.localName];
      routes.set(`/${service.typeName}/${method.name}`, { service, method: method as DescMethodUnary, ...(handler ? { handler: handler.bind(impl) } : {}) });
    }
  }
  return routes;
}

/**
 * Runs a unary call through the same interceptors, in the same order, and the same handlers as
 * connect-node does, without its stream plumbing: the interceptors see a UnaryRequest and
 * return a UnaryResponse exactly as they do under connect-node, so every transport passes the
 * same chain.
 */
export function createUnaryInvoker(interceptors: readonly Interceptor[]): UnaryInvoker {
  const terminal = async (req: UnaryRequest): Promise<UnaryResponse> => {
    const handler = (req as UnaryRequest & { route: UnaryRoute }).route.handler;
    if (!handler) throw new ConnectError(`${req.service.typeName}.${req.method.name} is not implemented`, Code.Unimplemented);
    const context: HandlerContext = {
      method: req.method,
      service: req.service,
      get signal() {
        return req.signal;
      },
      timeoutMs: () => undefined,
      requestMethod: req.requestMethod,
      requestHeader: req.header,
      responseHeader: new PlainHeaders(),
      responseTrailer: new PlainHeaders(),
      protocolName: "grpc",
      values: req.contextValues,
      url: req.url,
    };
    const output = await handler(req.message, context);
    const message = isMessage(output, req.method.output) ? output : create(req.method.output, output as never);
    return { stream: false, service: req.service, method: req.method, header: context.responseHeader, trailer: context.responseTrailer, message };
  };
  const chain = interceptors.reduceRight<(req: UnaryRequest) => Promise<UnaryResponse>>((next, interceptor) => interceptor(next as never) as never, terminal);
  return (route, request) => chain(Object.assign(request, { route }));
}

/** Builds the UnaryRequest the interceptors see; its signal is made only if someone asks for it. */
export function unaryRequest(route: UnaryRoute, message: unknown, header: Headers, contextValues: ContextValues, signal: () => AbortSignal, url: string): UnaryRequest {
  return {
    stream: false,
    service: route.service,
    method: route.method,
    requestMethod: "POST",
    url,
    get signal() {
      return signal();
    },
    header,
    contextValues,
    message,
  } as unknown as UnaryRequest;
}
