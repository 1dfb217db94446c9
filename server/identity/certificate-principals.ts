import { readFile } from "node:fs/promises";

/**
 * Reads the mutual-TLS mapping: a JSON object from a client certificate's subject CN to the IAM
 * user ARN it authenticates as, e.g. {"billing-service": "arn:aws:iam::111122223333:user/billing"}.
 */
export async function loadCertificatePrincipals(path: string): Promise<Map<string, string>> {
  const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${path} must hold a JSON object of CN -> user ARN`);
  const map = new Map<string, string>();
  for (const [cn, arn] of Object.entries(parsed)) {
    if (typeof arn !== "string" || !/^arn:[^:]+:iam::\d{12}:user\/[\w+=,.@-]+$/.test(arn)) throw new Error(`${path}: ${cn} must map to an IAM user ARN`);
    map.set(cn, arn);
  }
  return map;
}
