import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { createAccountWithAdmin } from "./account-admin.js";
import type { IdentityStore } from "./identity-store.js";

/** The file a fresh installation writes its administrator's credentials to. */
export const ADMIN_CREDENTIALS_FILE = "admin-credentials.json";

/**
 * On first start (no account yet), creates the configured account with an administrator and
 * writes its credentials to <data dir>/admin-credentials.json (mode 0600). The log names the
 * file, never the secret.
 */
export async function bootstrapIdentities(store: IdentityStore, options: { accountId: string; partition: string; dataDir: string; now: number }, log: Logger): Promise<void> {
  if (await store.hasAnyAccount()) return;
  const created = await createAccountWithAdmin(store, options.accountId, options.now);
  if (!created) return;
  const path = join(options.dataDir, ADMIN_CREDENTIALS_FILE);
  const credentials = {
    account_id: options.accountId,
    principal_arn: `arn:${options.partition}:iam::${options.accountId}:user/${created.admin.userName}`,
    access_key_id: created.key.record.accessKeyId,
    secret_access_key: created.key.secretAccessKey,
  };
  await writeFile(path, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });
  log.info({ path, principal: credentials.principal_arn }, "created the administrator; its credentials are in this file");
}
