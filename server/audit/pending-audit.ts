import type { HandlerContext } from "@connectrpc/connect";
import type { Commit } from "../store/locked-batches.js";
import type { KvOperation } from "../store/kv-store.js";
import type { AuditLog } from "./audit-log.js";
import type { AuditEntry } from "./audit-record.js";
import { pendingAuditKey } from "../context.js";

/**
 * The audit record of one request, written exactly once: with the request's changes when it
 * makes any (so both are in one atomic batch), otherwise when the request ends.
 */
export class PendingAudit {
  #written = false;

  constructor(
    private readonly log: AuditLog,
    private readonly describe: (outcome: string, reason?: string) => AuditEntry,
  ) {}

  /** Commits a change of this request together with its record. */
  readonly commit: Commit = async (operations: readonly KvOperation[]) => {
    if (this.#written) throw new Error("a request's audit record is written once; a second change would go unrecorded");
    await this.log.append(this.describe("ok"), operations);
    this.#written = true;
  };

  /** Writes the record when the request ends, unless a change already wrote it, with any (root-qualified) bookkeeping writes. */
  async finish(outcome: string, reason?: string, operations: readonly KvOperation[] = []): Promise<void> {
    if (this.#written) return;
    this.#written = true;
    await this.log.append(this.describe(outcome, reason), operations);
  }
}

/** The commit that records a change together with the request's audit record. */
export function auditCommit(ctx: HandlerContext): Commit | undefined {
  return ctx.values.get(pendingAuditKey)?.commit;
}
