import { KeyedLock } from "../store/keyed-lock.js";
import { prefixEnd, type KvOperation, type KvStore } from "../store/kv-store.js";
import { chainRecord, GENESIS_HASH, verifyChain, type ChainCheck } from "./audit-chain.js";
import type { AuditEntry, AuditRecord } from "./audit-record.js";

// Layout of the audit keyspace:
//   head            { seq, hash } of the last record
//   r/<seq:12>      AuditRecord
const HEAD = "head";
const RECORD = "r/";

/** A filter over the trail. */
export interface AuditFilter {
  readonly from?: string;
  readonly to?: string;
  readonly resource?: string;
  readonly principal?: string;
}

/**
 * The audit trail: a hash chain of records in the store. Appends are serialized so each record
 * links to the one before; a record is written in the same atomic batch as the changes of its
 * request, and is durable before the response is sent.
 */
export class AuditLog {
  readonly #lock = new KeyedLock();
  #head: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH };

  private constructor(private readonly kv: KvStore) {}

  static async open(kv: KvStore): Promise<AuditLog> {
    const log = new AuditLog(kv);
    const head = await kv.get(HEAD);
    if (head !== undefined) log.#head = JSON.parse(head) as { seq: number; hash: string };
    return log;
  }

  /** Appends a record, committing it with the given (root-qualified) operations in one batch. */
  async append(entry: AuditEntry, qualifiedOperations: readonly KvOperation[] = []): Promise<AuditRecord> {
    return this.#lock.run(["append"], async () => {
      const record = chainRecord(entry, this.#head.seq + 1, this.#head.hash);
      const own = this.kv.qualify([
        { type: "put", key: recordKey(record.seq), value: JSON.stringify(record) },
        { type: "put", key: HEAD, value: JSON.stringify({ seq: record.seq, hash: record.hash }) },
      ]);
      await this.kv.root.batch([...qualifiedOperations, ...own]);
      this.#head = { seq: record.seq, hash: record.hash };
      return record;
    });
  }

  /** Records in order, filtered, after the given sequence number. */
  async list(filter: AuditFilter, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    let after = afterSeq;
    // Scan in pages: filters are applied to records, which are ordered by time already.
    for (;;) {
      const rows = await this.kv.range({ gt: recordKey(after), lt: prefixEnd(RECORD), limit: 500 });
      if (rows.length === 0) return out;
      for (const [, value] of rows) {
        const record = JSON.parse(value) as AuditRecord;
        after = record.seq;
        if (filter.to !== undefined && record.time > filter.to) return out;
        if (matches(record, filter)) out.push(record);
        if (out.length >= limit) return out;
      }
    }
  }

  /** Checks the whole chain, and that the head matches its last record. */
  async verify(): Promise<ChainCheck> {
    const rows = await this.kv.range({ gte: RECORD, lt: prefixEnd(RECORD) });
    const result = verifyChain(rows.map(([, value]) => JSON.parse(value) as AuditRecord));
    if (result.intact && result.records !== this.#head.seq) {
      return { intact: false, records: result.records, brokenSeq: result.records + 1, reason: `the trail ends at record ${result.records} but its head says ${this.#head.seq}` };
    }
    return result;
  }
}

function recordKey(seq: number): string {
  return `${RECORD}${String(seq).padStart(12, "0")}`;
}

function matches(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.from !== undefined && record.time < filter.from) return false;
  if (filter.principal !== undefined && record.principal !== filter.principal) return false;
  if (filter.resource !== undefined && !record.access.some((a) => a.resource === filter.resource)) return false;
  return true;
}
