import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Region } from "./domain/region.js";
import type { Caller } from "./identity/caller.js";
import type { RoleRecord } from "./identity/identity-records.js";
import type { IdentityStore } from "./identity/identity-store.js";
import type { AuditLog } from "./audit/audit-log.js";
import type { PendingAudit } from "./audit/pending-audit.js";
import type { CallerPolicies } from "./authorization/caller-policies.js";
import type { Commit } from "./store/locked-batches.js";
import type { ConnectionFacts } from "./authorization/condition-context.js";
import type { DecidedBy, PolicyCache } from "./policy/index.js";
import type { ResolvedKey } from "./services/resolve-key.js";
import type { SigV4Request } from "./aws/sigv4-verify.js";
import { managedKeyFactory, type ManagedKeyFactory } from "./services/managed-keys.js";

/** Per-request facts that interceptors fill in and the request log line reports. */
export interface RequestContext {
  readonly requestId: string;
  region?: string;
  principal?: string;
}

/** Which server code carried a request: the gRPC fast path or connect-node (gRPC, gRPC-web, Connect). */
export type TransportName = "grpc-fast-path" | "connect-node" | "aws-json";
export const transportKey = createContextKey<TransportName>("connect-node", { description: "the transport" });

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

export const requestContextKey = createContextKey<RequestContext | undefined>(undefined, { description: "request context" });
export const regionKey = createContextKey<Region | undefined>(undefined, { description: "the request's region" });
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "the authenticated caller" });
/** Server-wide services the identity handlers need. */
export interface ServerServices {
  readonly identities: IdentityStore;
  readonly partition: string;
  /** The account created at first start, which may create others. */
  readonly managementAccountId: string;
  /** Compiled policies, bounded. */
  readonly policies: PolicyCache;
  /** The audit trail. */
  readonly audit: AuditLog;
  /** Integrated services by principal ARN (config KMS_SERVICE_PRINCIPALS), for kms:ViaService. */
  readonly servicePrincipals: ReadonlyMap<string, string>;
  /** Every region of the server (multi-Region keys span them). */
  readonly regions: ReadonlyMap<string, Region>;
  /** Keys derived from the root key for importing key material: sealing import tokens, fingerprinting material. */
  readonly importKeys: { readonly token: Uint8Array; readonly fingerprint: Uint8Array };
}
export const servicesKey = createContextKey<ServerServices | undefined>(undefined, { description: "server services" });
/** Keys the authorization interceptor resolved, by request field name, so handlers do not load them again. */
export const resolvedKeysKey = createContextKey<ReadonlyMap<string, ResolvedKey>>(new Map(), { description: "keys resolved by authorization" });
/** The role AssumeRole's trust policy was decided on, so the session is issued for that very role. */
export const authorizedRoleKey = createContextKey<RoleRecord | undefined>(undefined, { description: "the role authorization decided on" });
/** The caller's compiled identity and session policies, loaded once by authorization. */
export const callerPoliciesKey = createContextKey<CallerPolicies | undefined>(undefined, { description: "the caller's policies" });
/** One access check that allowed the request: for the audit trail and for grant rules. */
export interface AccessDecision {
  readonly action: string;
  readonly resource: string;
  readonly decidedBy: readonly DecidedBy[];
}
/** The access checks that allowed the request. */
export const accessDecisionsKey = createContextKey<readonly AccessDecision[]>([], { description: "access decisions" });
/** The principal a Login authenticated, so its audit record says who logged in. */
export const loginPrincipalKey = createContextKey<string | undefined>(undefined, { description: "the principal that logged in" });
/** The audit record of the request, written with its changes or when it ends. */
export const pendingAuditKey = createContextKey<PendingAudit | undefined>(undefined, { description: "the request's audit record" });
/** Facts about the connection (source address, TLS), for policy conditions and the audit trail. */
/**
 * A request of the AWS endpoint, as received, for the authentication interceptor to verify its
 * SigV4 signature (set only by that transport, never from anything a client sends).
 */
export const sigV4RequestKey = createContextKey<SigV4Request | undefined>(undefined, { description: "the SigV4-signed request" });
export const connectionKey = createContextKey<ConnectionFacts>({ secureTransport: false }, { description: "connection facts" });
export const clockKey = createContextKey<Clock>(() => Date.now(), { description: "clock" });

/** The region the region interceptor resolved; its absence is a wiring bug, not a client error. */
export function requireRegion(ctx: HandlerContext): Region {
  const region = ctx.values.get(regionKey);
  if (!region) throw new Error("no region in context: is the region interceptor installed?");
  return region;
}

/** The authenticated caller; its absence is a wiring bug, not a client error. */
export function requireCaller(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new Error("no caller in context: is the authentication interceptor installed?");
  return caller;
}

/** Where a request's keys live: its region, seen from the caller's account. */
export interface KeyScope {
  readonly region: Region;
  readonly accountId: string;
  /** Keys authorization already resolved, by request field name. */
  readonly resolved?: ReadonlyMap<string, ResolvedKey>;
  /** Commits a change together with the request's audit record. */
  readonly commit?: Commit;
  /** Creates the account's AWS managed key when its reserved alias is first used. */
  readonly managedKeys?: ManagedKeyFactory;
}

/** The request's region and the caller's account. */
export function keyScope(ctx: HandlerContext): KeyScope {
  const commit = ctx.values.get(pendingAuditKey)?.commit;
  const region = requireRegion(ctx);
  const accountId = requireCaller(ctx).accountId;
  const services = ctx.values.get(servicesKey);
  return {
    region,
    accountId,
    resolved: ctx.values.get(resolvedKeysKey),
    ...(commit ? { commit } : {}),
    ...(services ? { managedKeys: managedKeyFactory({ region, accountId, audit: services.audit, clock: ctx.values.get(clockKey), servicePrincipals: services.servicePrincipals }) } : {}),
  };
}

/** The server's services; their absence is a wiring bug. */
export function requireServices(ctx: HandlerContext): ServerServices {
  const services = ctx.values.get(servicesKey);
  if (!services) throw new Error("no services in context");
  return services;
}

/** The current time from the request's clock. */
export function now(ctx: HandlerContext): number {
  return ctx.values.get(clockKey)();
}
