/** How an access check ended: allowed, refused, or never reached (the request failed before it). */
export type AuditDecision = "allow" | "deny" | "none";

/**
 * One audit record: who asked for what, from where, what was decided and by which statement
 * or grant, and how the request ended. Never plaintext, ciphertext, key material, secrets or
 * tokens: only names, ARNs, the (non-secret) encryption context and outcomes.
 */
export interface AuditEntry {
  readonly time: string;
  readonly requestId: string;
  /** The caller's ARN; absent when authentication failed or was not needed (Login). */
  readonly principal?: string;
  readonly sourceIp?: string;
  readonly region?: string;
  readonly rpc: string;
  /** The checks made: action and resource, and what allowed it. */
  readonly access: ReadonlyArray<{ readonly action: string; readonly resource: string; readonly decidedBy: readonly unknown[] }>;
  readonly decision: AuditDecision;
  /** For a denial, the AccessDeniedException message (it names no policy contents). */
  readonly reason?: string;
  readonly encryptionContext?: Readonly<Record<string, string>>;
  /** "ok" or the AWS exception name. */
  readonly outcome: string;
}

/** A stored record: the entry, its place in the chain and the hashes that link it. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}
