import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** What `kms login` keeps between commands. */
export interface StoredSession {
  readonly endpoint: string;
  readonly region?: string;
  readonly sessionToken: string;
  /** When the token stops working (ms since the epoch). */
  readonly expiresAt: number;
  readonly principalArn: string;
}

/** Where the session lives: $KMS_CLI_HOME or ~/.kms, file session.json, mode 0600 (the token is a secret). */
export function sessionPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.KMS_CLI_HOME ?? join(homedir(), ".kms"), "session.json");
}

export async function saveSession(session: StoredSession, path = sessionPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify(session, null, 2), { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function loadSession(path = sessionPath()): Promise<StoredSession | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as StoredSession;
  } catch {
    return undefined;
  }
}

export async function forgetSession(path = sessionPath()): Promise<void> {
  await rm(path, { force: true });
}
