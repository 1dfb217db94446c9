import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuditService } from "../../../gen/kms/v1/audit_service_pb.js";
import type { AuditRecord } from "../../audit/audit-record.js";
import { requireCaller, requireServices } from "../../context.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { listLimit } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";

/** "key-policy statement 0 (Sid)", "trust-policy statement 0", "identity-policy AdministratorAccess statement 0", "grant <id>". */
function describeDecider(d: unknown): string {
  const by = d as { source: string; name?: string; statement?: { index: number; sid?: string }; grantId?: string };
  if (by.source === "grant") return `grant ${by.grantId}`;
  const statement = by.statement ? ` statement ${by.statement.index}${by.statement.sid ? ` (${by.statement.sid})` : ""}` : "";
  return `${by.source}${by.name ? ` ${by.name}` : ""}${statement}`;
}

function toMessage(r: AuditRecord) {
  return {
    seq: BigInt(r.seq),
    time: timestampFromDate(new Date(r.time)),
    requestId: r.requestId,
    principal: r.principal ?? "",
    sourceIp: r.sourceIp ?? "",
    region: r.region ?? "",
    rpc: r.rpc,
    access: r.access.map((a) => ({ action: a.action, resource: a.resource, decidedBy: a.decidedBy.map(describeDecider) })),
    decision: r.decision,
    reason: r.reason ?? "",
    encryptionContext: { ...r.encryptionContext },
    outcome: r.outcome,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

/** The AuditService handlers. */
export const auditService: Partial<ServiceImpl<typeof AuditService>> = {
  async listAuditRecords(req, ctx) {
    const { audit, managementAccountId } = requireServices(ctx);
    // An account reads its own records only; the management account (the operator's) reads all.
    const caller = requireCaller(ctx);
    const account = caller.accountId === managementAccountId ? undefined : caller.accountId;
    const limit = listLimit(req.limit);
    const after = decodeMarker("audit", req.marker);
    if (after !== undefined && !/^\d{1,12}$/.test(after)) throw new KmsError("InvalidMarkerException", "marker was not returned by this listing");
    const records = await audit.list(
      {
        ...(req.startTime ? { from: timestampDate(req.startTime).toISOString() } : {}),
        ...(req.endTime ? { to: timestampDate(req.endTime).toISOString() } : {}),
        ...(req.resource !== "" ? { resource: req.resource } : {}),
        ...(req.principal !== "" ? { principal: req.principal } : {}),
        ...(account !== undefined ? { account } : {}),
      },
      after === undefined ? 0 : Number(after),
      limit + 1,
    );
    const page = toPage("audit", records, limit, (r) => String(r.seq));
    return { records: page.items.map(toMessage), nextMarker: page.nextMarker, truncated: page.truncated };
  },
  async verifyAuditTrail(_req, ctx) {
    const { audit, managementAccountId } = requireServices(ctx);
    // The chain holds every account's records: only the operator's account checks it whole.
    const caller = requireCaller(ctx);
    if (caller.accountId !== managementAccountId) throw new KmsError("AccessDeniedException", `${caller.arn} is not in the management account; the audit trail is checked whole by the operator`);
    const result = await audit.verify();
    return result.intact
      ? { intact: true, recordsChecked: BigInt(result.records) }
      : { intact: false, recordsChecked: BigInt(result.records), firstBrokenSeq: BigInt(result.brokenSeq), reason: result.reason };
  },
};
