import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_kms_v1_error } from "../gen/kms/v1/error_pb.js";
import { AuditService } from "../gen/kms/v1/audit_service_pb.js";
import { IdentityService } from "../gen/kms/v1/identity_service_pb.js";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import type { KmsConfig } from "./config.js";
import { clockKey, connectionKey, servicesKey, type Clock, type ServerServices } from "./context.js";
import type { Region } from "./domain/region.js";
import { bootstrapIdentities } from "./identity/bootstrap.js";
import { IdentityStore } from "./identity/identity-store.js";
import { VerifiedSessions } from "./identity/verified-sessions.js";
import { createAuthenticationInterceptor } from "./interceptors/authentication.js";
import { AuditLog } from "./audit/audit-log.js";
import { createAuditInterceptor } from "./interceptors/audit.js";
import { createInFlightLimitInterceptor } from "./interceptors/in-flight-limit.js";
import { createQuotaInterceptor } from "./interceptors/quotas.js";
import { createAuthorizationInterceptor } from "./interceptors/authorization.js";
import { createErrorMappingInterceptor } from "./interceptors/error-mapping.js";
import { createRegionInterceptor } from "./interceptors/region.js";
import { createRequestContextInterceptor } from "./interceptors/request-context.js";
import { createLogger } from "./logger.js";
import { PolicyCache } from "./policy/index.js";
import { checkRootKey, loadOrCreateRootKey } from "./root-wrapping-key.js";
import { deriveRootKey } from "./crypto/purpose-key.js";
import { auditService } from "./services/audit/audit-service.js";
import { createHealthService, HealthState } from "./services/health/health-service.js";
import { ReflectionIndex } from "./services/reflection/reflection-index.js";
import { createReflectionService, createReflectionServiceV1Alpha } from "./services/reflection/reflection-service.js";
import { identityService } from "./services/identity/identity-service.js";
import { keyManagementService } from "./services/key-management-service.js";
import { Keyring } from "./store/keyring.js";
import { CachingKvStore } from "./store/caching-store.js";
import { LevelRootStore } from "./store/level-store.js";
import { connectionFacts } from "./transport/connection-facts.js";
import { createHttpListener, type NodeHandlerFn } from "./transport/http-listener.js";
import { createHealthzHandler } from "./transport/healthz.js";
import { createCors } from "./transport/cors.js";
import { createGrpcFastPath, MAX_REQUEST_BYTES } from "./grpc/grpc-fast-path.js";
import { createUnaryInvoker, unaryRoutes } from "./grpc/unary-invoker.js";
import { createAwsEndpoint } from "./aws/aws-endpoint.js";
import { loadCertificatePrincipals } from "./identity/certificate-principals.js";
import { Scheduler, type SchedulerPass } from "./scheduler/scheduler.js";

/** A running server. */
export interface KmsServer {
  /** The base URL clients use, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly port: number;
  /** Graceful shutdown: stop accepting, finish in-flight calls, close LevelDB. */
  close(): Promise<void>;
  /** Runs the scheduler's due work now (deletions, rotations) instead of at its next tick; for tests and operators. */
  runScheduledWork(): Promise<SchedulerPass>;
}

/** What a test or an embedding program may replace. */
export interface KmsServerOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** Opens the store, loads the root key, and serves the KMS on the configured host and port. */
export async function startKmsServer(config: KmsConfig, options: KmsServerOptions = {}): Promise<KmsServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? (() => Date.now());
  const level = await LevelRootStore.open(join(config.dataDir, "leveldb"));
  // Reads of keys, sessions, policies and grants are cached; every write drops what it changed.
  const store = new CachingKvStore(level, { maxEntries: 10_000, maxAgeMs: 60_000 });
  try {
    const rootKey = await loadOrCreateRootKey(config.rootKeyFile, logger);
    await checkRootKey(store.scope("meta"), rootKey);
    const identities = new IdentityStore(store.scope("identity"), rootKey);
    const audit = await AuditLog.open(store.scope("audit"));
    const health = new HealthState();
    await bootstrapIdentities(identities, { accountId: config.accountId, partition: config.partition, dataDir: config.dataDir, now: clock() }, logger);
    const regionStores = store.scope("regions");
    const regions = new Map<string, Region>(
      config.regions.map((name) => [
        name,
        { name, partition: config.partition, keyring: new Keyring(regionStores.scope(name), name, rootKey) },
      ]),
    );
    const importKeys = { token: deriveRootKey(rootKey, "import-token"), fingerprint: deriveRootKey(rootKey, "imported-material-fingerprint") };
    const serverServices: ServerServices = { identities, partition: config.partition, managementAccountId: config.accountId, policies: new PolicyCache(), audit, regions, importKeys, servicePrincipals: config.servicePrincipals };

    const tls = config.tls && {
      cert: await readFile(config.tls.certFile),
      key: await readFile(config.tls.keyFile),
      ...(config.tls.clientCaFile ? { clientCa: await readFile(config.tls.clientCaFile) } : {}),
    };
    const certificatePrincipals = config.tls?.clientPrincipalsFile ? await loadCertificatePrincipals(config.tls.clientPrincipalsFile) : new Map<string, string>();
    const served = [KeyManagementService, IdentityService, AuditService, Health, ServerReflection, ServerReflectionV1Alpha];
    // Reflection describes every served service, and the error detail every failure carries.
    const reflection = { index: new ReflectionIndex(served, [file_kms_v1_error]), onDrain: (listener: () => void) => health.onDrain(listener) };
    const services = [
      { service: KeyManagementService, impl: keyManagementService },
      { service: IdentityService, impl: identityService },
      { service: AuditService, impl: auditService },
      { service: Health, impl: createHealthService(health, served.map((s) => s.typeName)) },
      { service: ServerReflection, impl: createReflectionService(reflection) },
      { service: ServerReflectionV1Alpha, impl: createReflectionServiceV1Alpha(reflection) },
    ] as const;
    // The order is the order of the chain: every transport and service passes all of it.
    const interceptors = [
      createRequestContextInterceptor(logger),
      createErrorMappingInterceptor(),
      createInFlightLimitInterceptor(config.maxInFlight),
      createAuditInterceptor(audit, new Set([Health.typeName, ServerReflection.typeName, ServerReflectionV1Alpha.typeName])),
      createAuthenticationInterceptor(identities, new VerifiedSessions(identities, () => store.writesUnder("identity")), config.partition, certificatePrincipals, (region) => regions.has(region)),
      createRegionInterceptor(regions, config.regions[0]!, new Set([KeyManagementService.typeName])),
      createQuotaInterceptor(config.quotas, KeyManagementService.typeName),
      createAuthorizationInterceptor(serverServices),
    ];
    const contextValuesFor = (socket: { remoteAddress?: string | undefined }) =>
      createContextValues().set(clockKey, clock).set(servicesKey, serverServices).set(connectionKey, connectionFacts(socket, Boolean(tls)));
    const connectHandler = connectNodeAdapter({
      // The fast path's bound, after decompression too: a 1 MB gzip body must not become 1 GiB.
      readMaxBytes: MAX_REQUEST_BYTES,
      routes: (router) => {
        for (const { service, impl } of services) router.service(service, impl as never);
      },
      interceptors,
      contextValues: (req) => contextValuesFor(req.socket),
      // Paths that are no RPC: GET /healthz for load balancers, 404 for the rest.
      fallback: createHealthzHandler(() => health.serving),
    });
    // Unary gRPC over HTTP/2 takes the fast path; gRPC-web, Connect and the rest go to connect-node.
    const routes = unaryRoutes(services);
    const invoker = createUnaryInvoker(interceptors);
    const fastPath = config.grpcFastPath ? createGrpcFastPath(routes, invoker, contextValuesFor) : undefined;
    // The AWS JSON 1.1 endpoint, for AWS SDKs: the same chain and handlers, SigV4 instead of bearer tokens.
    const awsEndpoint = createAwsEndpoint(routes, invoker, (req) => contextValuesFor(req.socket));
    const cors = createCors(config.corsOrigins);
    const handler: NodeHandlerFn = (req, res) => {
      if (cors?.(req, res)) return;
      if (awsEndpoint(req, res)) return;
      connectHandler(req, res);
    };
    const listener = createHttpListener(handler, tls, fastPath, config.connectionIdleMs);
    const address = await listener.listen(config.host, config.port);
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    const url = `${tls ? "https" : "http"}://${host}:${address.port}`;
    logger.info({ url, regions: config.regions, dataDir: config.dataDir, tls: Boolean(tls) }, "listening");
    // Deletions and rotations that fell due while the server was down are done on this first pass.
    const scheduler = new Scheduler(regions, audit, clock, logger, identities);
    scheduler.start(config.schedulerIntervalMs);

    return {
      url,
      port: address.port,
      runScheduledWork: () => scheduler.runDue(),
      async close() {
        // First: Health says NOT_SERVING (Watch streams hear it and end), /healthz answers 503.
        health.drain();
        await scheduler.stop();
        await listener.close();
        await level.close();
        logger.info("stopped");
      },
    };
  } catch (error) {
    await level.close();
    throw error;
  }
}
