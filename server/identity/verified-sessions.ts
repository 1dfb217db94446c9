import { timingSafeEqual } from "node:crypto";
import type { Caller } from "./caller.js";
import { authenticateSession } from "./authenticate.js";
import type { IdentityStore } from "./identity-store.js";
import { parseSessionToken } from "./secrets.js";

interface Verified {
  readonly secret: Buffer;
  readonly caller: Caller;
  readonly expiresAt: number;
  /** The identity keyspace's write count when it was verified. */
  readonly writes: number;
}

/**
 * Bearer tokens verified since identities last changed, with their callers: a busy client's
 * every call would otherwise re-read its session, user and access key and re-hash its secret.
 * Any write to the identity keyspace (a revoked session or access key, a deleted user or role,
 * a new login) makes every entry stale at once, so a revocation still takes effect on the very
 * next request; expiry is checked on every use. The presented secret is compared with the
 * verified one in constant time. Bounded by entries, oldest out first.
 */
export class VerifiedSessions {
  readonly #entries = new Map<string, Verified>();

  constructor(
    private readonly store: IdentityStore,
    /** Changes whenever a write to the identity keyspace starts or ends. */
    private readonly identityWrites: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  async authenticate(token: string, now: number, partition: string): Promise<Caller> {
    const parsed = parseSessionToken(token);
    const writes = this.identityWrites();
    if (parsed) {
      const hit = this.#entries.get(parsed.sessionId);
      if (hit && hit.writes === writes && now < hit.expiresAt && timingSafeEqual(hit.secret, Buffer.from(parsed.secret))) return hit.caller;
    }
    const { caller, expiresAt } = await authenticateSession(this.store, token, now, partition);
    // A write that raced with the reads above may have revoked what they saw: not remembered.
    if (parsed && this.identityWrites() === writes) {
      this.#entries.delete(parsed.sessionId);
      // Every request of the session shares the caller from now on.
      Object.freeze(caller.tags);
      this.#entries.set(parsed.sessionId, { secret: Buffer.from(parsed.secret), caller: Object.freeze(caller), expiresAt, writes });
      if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return caller;
  }
}
