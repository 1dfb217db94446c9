import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import { IdentityService } from "../gen/kms/v1/identity_service_pb.js";

/** How a client authenticates: an access key (it logs in and refreshes), or a session token it is given. */
export type KmsCredentials = { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionSeconds?: number } | { readonly sessionToken: string };

/** A source of bearer tokens. */
export interface TokenSource {
  /** A token valid for a while yet. */
  token(): Promise<string>;
  /**
   * Drops the given token (the service said it expired), so the next call logs in again. A token
   * already replaced stays replaced: a late refusal of an old one does not cost another login.
   */
  invalidate(rejected: string): void;
}

/** Refresh when this share of the session's lifetime is left (and at most 5 minutes before expiry). */
const REFRESH_AT_REMAINING = 0.2;
const REFRESH_MAX_EARLY_MS = 5 * 60_000;

/**
 * Tokens for credentials: a fixed session token, or sessions from Login with the access key,
 * renewed before they expire. Concurrent calls share one login.
 */
export function tokenSource(credentials: KmsCredentials, transport: Transport, now: () => number = () => Date.now()): TokenSource {
  if ("sessionToken" in credentials) return { token: async () => credentials.sessionToken, invalidate: () => undefined };
  const identity = createClient(IdentityService, transport);
  let session: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const login = async (): Promise<string> => {
    const started = now();
    const { credentials: issued } = await identity.login({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionSeconds !== undefined ? { durationSeconds: credentials.sessionSeconds } : {}),
    });
    const expiresAt = issued?.expiration ? timestampMs(issued.expiration) : started + 900_000;
    const early = Math.min(REFRESH_MAX_EARLY_MS, (expiresAt - started) * REFRESH_AT_REMAINING);
    session = { token: issued!.sessionToken, refreshAt: expiresAt - early };
    return session.token;
  };
  return {
    async token() {
      if (session && now() < session.refreshAt) return session.token;
      pending ??= login().finally(() => (pending = undefined));
      return pending;
    },
    invalidate(rejected) {
      if (session?.token === rejected) session = undefined;
    },
  };
}
