import { prefixEnd, type KvOperation, type KvStore } from "../store/kv-store.js";
import { ChainVerifier, chainEntry, GENESIS_HASH, type ChainCheck } from "./audit-chain.js";
import type { AuditEntry, AuditRecord } from "./audit-record.js";
import { SEGMENT_BYTES, TrailSegments } from "./trail-segments.js";

// The records live in segment files (TrailSegments). The audit scope of the store holds:
//   journal        the last group that carried changes, written in the batch of those changes,
//                  so that a crash between that batch and the segment write loses no record
//   head, g/<seq>  a trail from before the segment files, moved into them on open
const JOURNAL = "journal";
const LEGACY_HEAD = "head";
const LEGACY_GROUP = "g/";

/** A filter over the trail. */
export interface AuditFilter {
  readonly from?: string;
  readonly to?: string;
  readonly resource?: string;
  readonly principal?: string;
}

/** A record waiting for its group's write. */
interface Queued {
  readonly position: ChainPosition;
  readonly json: string;
  readonly changes: readonly KvOperation[];
  readonly bookkeeping: readonly KvOperation[];
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
 * The audit trail: a hash chain of records. Each record links to the one before and is durable
 * before the response is sent. Records of concurrent requests are committed in groups, one
 * write and fdatasync each, rather than one fsync per request. A group whose requests change
 * something first commits those changes in one store batch with the group's records (the
 * journal), so there is no change without its record; then the records go to the segments.
 */
export class AuditLog {
  /** The head the next record links to (records queued but not yet written included). */
  #head: ChainPosition = { seq: 0, hash: GENESIS_HASH };
  /** The head as last written. */
  #durableHead: ChainPosition = this.#head;
  readonly #queue: Queued[] = [];
  #flushing = false;

  /** Set when records were committed with their changes but could not reach the segments. */
  #failed: unknown;

  private constructor(
    private readonly kv: KvStore,
    private readonly segments: TrailSegments,
  ) {}

  /** Opens the trail in `directory`, with its journal and any older trail in the `kv` scope. */
  static async open(kv: KvStore, directory: string, segmentBytes = SEGMENT_BYTES): Promise<AuditLog> {
    const log = new AuditLog(kv, await TrailSegments.open(directory, segmentBytes));
    await log.#moveLegacyTrail();
    const last = await log.segments.lastLine();
    if (last !== undefined) log.#head = log.#durableHead = positionOf(JSON.parse(last) as AuditRecord);
    await log.#replayJournal();
    return log;
  }

  async close(): Promise<void> {
    await this.segments.close();
  }

  /**
   * Appends a record and resolves with its place in the chain once it is durable. `changes`
   * (root-qualified) commit atomically with the record; `bookkeeping` (root-qualified, such as
   * last-usage times) is written after it, visible at once but not fsynced on its own.
   */
  append(entry: AuditEntry, changes: readonly KvOperation[] = [], bookkeeping: readonly KvOperation[] = []): Promise<ChainPosition> {
    const seq = this.#head.seq + 1;
    const { hash, json } = chainEntry(entry, seq, this.#head.hash);
    const position = { seq, hash };
    this.#head = position;
    return new Promise((resolve, reject) => {
      this.#queue.push({ position, json, changes, bookkeeping, resolve, reject });
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
      const lines = group.map((q) => q.json).join("\n");
      const changes = group.flatMap((q) => q.changes);
      const bookkeeping = group.flatMap((q) => q.bookkeeping);
      try {
        if (this.#failed !== undefined) throw this.#failed;
        if (changes.length > 0) await this.kv.root.batch(lastWriteWins([...changes, ...bookkeeping, ...this.kv.qualify([{ type: "put", key: JOURNAL, value: lines }])]));
        await this.segments.append(group[0]!.position.seq, lines).catch((error: unknown) => {
          // The journal holds records the segments lack: no record may follow them until a
          // restart has moved them over (see #replayJournal).
          if (changes.length > 0) this.#failed = error;
          throw error;
        });
        // Last-usage times may lag after an operating system crash; the records may not.
        if (changes.length === 0 && bookkeeping.length > 0) await this.kv.root.batch(lastWriteWins(bookkeeping), { relaxed: true }).catch(() => undefined);
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

  /** Moves the records of the last change group into the segments if a crash kept them out. */
  async #replayJournal(): Promise<void> {
    const journal = await this.kv.get(JOURNAL);
    if (journal === undefined) return;
    const missing = journal.split("\n").filter((line) => (JSON.parse(line) as AuditRecord).seq > this.#head.seq);
    if (missing.length === 0) return;
    const first = JSON.parse(missing[0]!) as AuditRecord;
    if (first.seq !== this.#head.seq + 1 || first.prevHash !== this.#head.hash) throw new Error(`the audit journal starts at record ${first.seq}, which does not follow record ${this.#head.seq} of the trail`);
    await this.segments.append(first.seq, missing.join("\n"));
    this.#head = this.#durableHead = positionOf(JSON.parse(missing[missing.length - 1]!) as AuditRecord);
  }

  /** A trail kept in LevelDB groups (before the segment files) moves into the segments, once. */
  async #moveLegacyTrail(): Promise<void> {
    const groups = await this.kv.range({ gte: LEGACY_GROUP, lt: prefixEnd(LEGACY_GROUP) });
    if (groups.length === 0) return;
    // Until the old entries are deleted, a crash leaves them to be moved again, from scratch.
    await this.segments.replaceAll(groups.map(([, value]) => value).join("\n"));
    await this.kv.batch([...groups.map(([key]) => ({ type: "del" as const, key })), { type: "del", key: LEGACY_HEAD }]);
  }

  /** Records in order, filtered, after the given sequence number. */
  async list(filter: AuditFilter, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for await (const { firstSeq, lines } of this.segments.linesFrom(afterSeq + 1)) {
      // Lines are numbered in order from the segment's first record: skip those already seen unparsed.
      for (let i = Math.max(0, afterSeq + 1 - firstSeq); i < lines.length; i++) {
        const record = JSON.parse(lines[i]!) as AuditRecord;
        if (record.seq <= afterSeq) continue;
        if (filter.to !== undefined && record.time > filter.to) return out;
        if (matches(record, filter)) out.push(record);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Checks the whole chain, and that it ends at the last record written. */
  async verify(): Promise<ChainCheck> {
    // Records written while this runs are left for the next check.
    const end = this.#durableHead.seq;
    const verifier = new ChainVerifier();
    for await (const { lines } of this.segments.linesFrom(1)) {
      for (const line of lines) {
        if (verifier.records === end) break;
        const broken = verifier.next(JSON.parse(line) as AuditRecord);
        if (broken) return broken;
      }
    }
    if (verifier.records !== end) {
      return { intact: false, records: verifier.records, brokenSeq: verifier.records + 1, reason: `the trail ends at record ${verifier.records} but ${end} were written` };
    }
    return { intact: true, records: end };
  }
}

function positionOf(record: AuditRecord): ChainPosition {
  return { seq: record.seq, hash: record.hash };
}

function matches(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.from !== undefined && record.time < filter.from) return false;
  if (filter.principal !== undefined && record.principal !== filter.principal) return false;
  if (filter.resource !== undefined && !record.access.some((a) => a.resource === filter.resource)) return false;
  return true;
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
