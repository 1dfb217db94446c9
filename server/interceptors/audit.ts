import type { DescMessage } from "@bufbuild/protobuf";
import { ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/kms/v1/error_pb.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { AuditEntry } from "../audit/audit-record.js";
import { PendingAudit } from "../audit/pending-audit.js";
import { encodedContextSize, ENCRYPTION_CONTEXT_FIELDS } from "../crypto/encryption-context.js";
import { limits } from "../domain/limits.js";
import { accessDecisionsKey, callerKey, clockKey, connectionKey, loginPrincipalKey, pendingAuditKey, regionKey, requestContextKey, resolvedKeysKey } from "../context.js";
import { KEY_USING_OPERATIONS } from "../domain/cryptographic-operations.js";
import { KmsError } from "../errors/kms-error.js";
import type { ChainRequest, Next } from "./next.js";

/**
 * Writes one audit record per request: allowed, denied, or failed before a decision (bad
 * credentials, unknown key). The record goes into the hash chain with the request's changes,
 * or on its own when the request ends, and is durable before the response is sent.
 */
export function createAuditInterceptor(audit: AuditLog, unaudited: ReadonlySet<string> = new Set()): Interceptor {
  // Health probes decide nothing and would drown the trail; they pass without a promise of ours.
  return (next) => (req) => (unaudited.has(req.service.typeName) ? next(req) : audited(next, req));
  async function audited(next: Next, req: ChainRequest) {
    const describe = (outcome: string, reason?: string): AuditEntry => {
      const values = req.contextValues;
      const access = values.get(accessDecisionsKey);
      const message = req.message as unknown as Record<string, unknown>;
      // Optional fields are left undefined rather than spread in: JSON leaves them out the same.
      return {
        time: new Date(values.get(clockKey)()).toISOString(),
        requestId: values.get(requestContextKey)?.requestId ?? "",
        principal: values.get(callerKey)?.arn ?? values.get(loginPrincipalKey),
        sourceIp: values.get(connectionKey).sourceIp,
        region: values.get(regionKey)?.name,
        rpc: `${req.service.typeName}/${req.method.name}`,
        access: access.map((a) => ({ action: a.action, resource: a.resource, decidedBy: a.decidedBy })),
        decision: reason !== undefined ? "deny" : access.length > 0 ? "allow" : "none",
        reason,
        encryptionContext: encryptionContextOf(req.method.input, message),
        outcome,
      };
    };
    const pending = new PendingAudit(audit, describe);
    req.contextValues.set(pendingAuditKey, pending);
    try {
      const res = await next(req);
      await pending.finish("ok", undefined, lastUsageWrites(req.method.name, req.contextValues));
      return res;
    } catch (e) {
      const exception = exceptionName(e);
      await pending.finish(exception, exception === "AccessDeniedException" ? (e as Error).message : undefined);
      throw e;
    }
  }
}

/** A successful cryptographic call records its use of each key it resolved, in its own audit batch. */
function lastUsageWrites(operation: string, values: ContextValues) {
  const region = values.get(regionKey);
  if (!KEY_USING_OPERATIONS.has(operation) || !region) return [];
  const timestamp = values.get(clockKey)();
  const requestId = values.get(requestContextKey)?.requestId ?? "";
  const keyIds = new Set([...values.get(resolvedKeysKey).values()].map((k) => k.key.keyId));
  return [...keyIds].map((keyId) => region.keyring.lastUsageWrite({ keyId, operation, timestamp, requestId }));
}

/**
 * The request's encryption context, when it carries a non-empty one within the service's limit:
 * a larger one is refused anyway, and recording it would let anyone, credentials or not, write
 * records as large as a request.
 */
function encryptionContextOf(desc: DescMessage, message: Record<string, unknown>): Record<string, string> | undefined {
  for (const name of ENCRYPTION_CONTEXT_FIELDS) {
    const field = desc.fields.find((f) => f.name === name);
    const context = field && (message[field.localName] as Record<string, string> | undefined);
    if (context !== undefined && Object.keys(context).length > 0) return encodedContextSize(context) <= limits.encryptionContextBytes ? { ...context } : undefined;
  }
  return undefined;
}

function exceptionName(e: unknown): string {
  if (e instanceof KmsError) return e.exception;
  if (e instanceof ConnectError) return e.findDetails(ErrorDetailSchema)[0]?.exception ?? `grpc:${e.code}`;
  return "KMSInternalException";
}
