import { createHash } from "node:crypto";
import type { AuditEntry, AuditRecord } from "./audit-record.js";

/** The hash before the first record. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * Links an entry into the chain: its hash is the SHA-256 of the record's JSON without the hash,
 * which covers every field, its sequence number and the previous hash. The record is stored as
 * that same JSON (plus the hash), and JSON keeps key order, so verification recomputes the very
 * same bytes from what it reads.
 */
export function chainRecord(entry: AuditEntry, seq: number, prevHash: string): AuditRecord {
  return { ...entry, seq, prevHash, hash: chainEntry(entry, seq, prevHash).hash };
}

/**
 * Like chainRecord, as the log stores it: the hashed JSON with the hash appended, serialized
 * once. No record object is made: copying an entry's dozen fields cost more than hashing it.
 */
export function chainEntry(entry: AuditEntry, seq: number, prevHash: string): { hash: string; json: string } {
  // Exactly JSON.stringify({ ...entry, seq, prevHash }), without copying the entry first.
  const entryJson = JSON.stringify(entry);
  const unsignedJson = `${entryJson.length > 2 ? `${entryJson.slice(0, -1)},` : "{"}"seq":${seq},"prevHash":${JSON.stringify(prevHash)}}`;
  const hash = createHash("sha256").update(unsignedJson).digest("hex");
  return { hash, json: `${unsignedJson.slice(0, -1)},"hash":"${hash}"}` };
}

/** The result of checking a chain. */
export type ChainCheck = { readonly intact: true; readonly records: number } | { readonly intact: false; readonly records: number; readonly brokenSeq: number; readonly reason: string };

/**
 * Walks records in order and reports the first that does not belong: a changed field (its
 * hash no longer matches), a removed or reordered record (a gap in seq or a prevHash that is
 * not the previous hash).
 */
export function verifyChain(records: Iterable<AuditRecord>): ChainCheck {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (const record of records) {
    count++;
    const { hash, seq, prevHash: claimedPrev, ...entry } = record;
    if (seq !== expectedSeq) return { intact: false, records: count, brokenSeq: seq, reason: `expected record ${expectedSeq}, found ${seq}` };
    if (claimedPrev !== prevHash) return { intact: false, records: count, brokenSeq: seq, reason: "its previous-hash link does not match the record before it" };
    if (chainRecord(entry, seq, prevHash).hash !== hash) return { intact: false, records: count, brokenSeq: seq, reason: "its contents do not match its hash" };
    prevHash = hash;
    expectedSeq++;
  }
  return { intact: true, records: count };
}
