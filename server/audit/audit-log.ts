import { prefixEnd, type KvOperation, type KvStore } from "../store/kv-store.js";
import { chainEntry, GENESIS_HASH, verifyChain, type ChainCheck } from "./audit-chain.js";
import type { AuditEntry, AuditRecord } from "./audit-record.js";

// Layout of the audit keyspace:
//   head                { seq, hash } of the last record
//   g/<last seq:12>     one group commit: its AuditRecords' JSON, one a line, in order
// A group is one value rather than a key per record: LevelDB's cost is per entry as well as per
// byte, and one entry a group halved the audit trail's share of a request's CPU.
const HEAD = "head";
const GROUP = "g/";

/** A filter over the trail. */
export interface AuditFilter {
  readonly from?: string;
  readonly to?: string;
  readonly resource?: string;
  readonly principal?: string;
  /** Only records that concern this account: made by one of its principals, or on one of its resources. */
  readonly account?: string;
}

/** A record waiting for its group's batch. */
interface Queued {
  readonly position: ChainPosition;
  readonly json: string;
  readonly operations: readonly KvOperation[];
  resolve(position: ChainPosition): void;
  reject(error: unknown): void;
}

/** Where a record sits in the chain: its sequence number and hash. */
export interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

/** The most records one group commit writes. */
const MAX_GROUP = 512;

/**
 * The audit trail: a hash chain of records in the store. Each record links to the one before;
 * it is written in the same atomic batch as the changes of its request, and is durable before
 * the response is sent. Records of concurrent requests are committed in groups, one fsync each,
 * rather than one fsync per request.
 */
export class AuditLog {
  /** The head the next record links to (records queued but not yet written included). */
  #head: ChainPosition = { seq: 0, hash: GENESIS_HASH };
  /** The head as last written. */
  #durableHead: ChainPosition = this.#head;
  readonly #queue: Queued[] = [];
  #flushing = false;

  private constructor(private readonly kv: KvStore) {}

  static async open(kv: KvStore): Promise<AuditLog> {
    const log = new AuditLog(kv);
    const head = await kv.get(HEAD);
    if (head !== undefined) log.#head = log.#durableHead = JSON.parse(head) as ChainPosition;
    return log;
  }

  /**
   * Appends a record and resolves with its place in the chain once it is durable, committed in
   * one batch with the given (root-qualified) operations and whatever else the same group holds.
   */
  append(entry: AuditEntry, qualifiedOperations: readonly KvOperation[] = []): Promise<ChainPosition> {
    const seq = this.#head.seq + 1;
    const { hash, json } = chainEntry(entry, seq, this.#head.hash);
    const position = { seq, hash };
    this.#head = position;
    return new Promise((resolve, reject) => {
      this.#queue.push({ position, json, operations: qualifiedOperations, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // The group starts after this turn of the event loop: every request whose record is
        // ready in the same turn joins it. A batch and its fsync cost the same for one record
        // as for fifty, so fuller groups are most of what the trail costs under load.
        setImmediate(() => void this.#flush());
      }
    });
  }

  /** Writes queued records in groups until none are left. */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, MAX_GROUP);
      const last = group[group.length - 1]!.position;
      const own = this.kv.qualify([
        { type: "put", key: groupKey(last.seq), value: group.map((q) => q.json).join("\n") },
        { type: "put", key: HEAD, value: JSON.stringify(last) },
      ]);
      try {
        await this.kv.root.batch(lastWriteWins([...group.flatMap((q) => q.operations), ...own]));
        this.#durableHead = last;
        for (const q of group) q.resolve(q.position);
      } catch (error) {
        // Nothing of this group was written, and every record queued after it links to it:
        // refuse them all and continue the chain from what is on disk.
        const failed = [...group, ...this.#queue.splice(0)];
        this.#head = this.#durableHead;
        for (const q of failed) q.reject(error);
      }
    }
    this.#flushing = false;
  }

  /** Records in order, filtered, after the given sequence number. */
  async list(filter: AuditFilter, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    // The first group to read is the one that ends at or after the next record.
    let from = groupKey(afterSeq + 1);
    // Scan in pages of groups: filters are applied to records, which are ordered by time already.
    for (;;) {
      const rows = await this.kv.range({ gte: from, lt: prefixEnd(GROUP), limit: 16 });
      if (rows.length === 0) return out;
      for (const [key, value] of rows) {
        for (const record of recordsOf(value)) {
          if (record.seq <= afterSeq) continue;
          if (filter.to !== undefined && record.time > filter.to) return out;
          if (matches(record, filter)) out.push(record);
          if (out.length >= limit) return out;
        }
        from = `${key}\u0000`;
      }
    }
  }

  /** Checks the whole chain, and that the head matches its last record. */
  async verify(): Promise<ChainCheck> {
    const rows = await this.kv.range({ gte: GROUP, lt: prefixEnd(GROUP) });
    const result = verifyChain(rows.flatMap(([, value]) => recordsOf(value)));
    if (result.intact && result.records !== this.#head.seq) {
      return { intact: false, records: result.records, brokenSeq: result.records + 1, reason: `the trail ends at record ${result.records} but its head says ${this.#head.seq}` };
    }
    return result;
  }
}

function groupKey(lastSeq: number): string {
  return `${GROUP}${String(lastSeq).padStart(12, "0")}`;
}

/** The records of one stored group. */
function recordsOf(group: string): AuditRecord[] {
  return group.split("\n").map((line) => JSON.parse(line) as AuditRecord);
}

function matches(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.from !== undefined && record.time < filter.from) return false;
  if (filter.principal !== undefined && record.principal !== filter.principal) return false;
  if (filter.resource !== undefined && !record.access.some((a) => a.resource === filter.resource)) return false;
  if (filter.account !== undefined && !concerns(record, filter.account)) return false;
  return true;
}

/** Whether a record concerns an account: its principal, or a resource it acted on, is the account's. */
function concerns(record: AuditRecord, accountId: string): boolean {
  const accountOf = (arn: string | undefined) => (arn?.startsWith("arn:") ? arn.split(":")[4] : undefined);
  return accountOf(record.principal) === accountId || record.access.some((a) => accountOf(a.resource) === accountId);
}

/**
 * One operation per key, the last one: a group of requests that all touch one key (its
 * last-usage record) writes it once, as the batch would leave it anyway.
 */
function lastWriteWins(operations: readonly KvOperation[]): KvOperation[] {
  const byKey = new Map<string, KvOperation>();
  for (const op of operations) {
    byKey.delete(op.key);
    byKey.set(op.key, op);
  }
  return [...byKey.values()];
}
