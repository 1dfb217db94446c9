import { createHash } from "node:crypto";
import type { AuditEntry, AuditRecord } from "./audit-record.js";

/** The hash before the first record. */
export const GENESIS_HASH = "0".repeat(64);

/** JSON with object keys sorted, so the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Links an entry into the chain: its hash covers its sequence number, the previous hash and every field. */
export function chainRecord(entry: AuditEntry, seq: number, prevHash: string): AuditRecord {
  const unsigned = { ...entry, seq, prevHash };
  return { ...unsigned, hash: createHash("sha256").update(canonicalJson(unsigned)).digest("hex") };
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
