import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createKmsClient } from "../../client/node.js";
import { option, outputFormat, sessionClient, type CliArgs } from "../context.js";
import { usageError } from "../cli-error.js";
import { print } from "../output.js";
import { forgetSession, saveSession, sessionPath } from "../session-file.js";

const DEFAULT_ENDPOINT = "http://127.0.0.1:8080";

/**
 * kms login: exchanges an access key for a session and keeps it in a 0600 file. The secret comes
 * from KMS_SECRET_ACCESS_KEY (or --secret-access-key, which shell history would keep).
 */
export async function login(args: CliArgs): Promise<void> {
  const endpoint = option(args, "endpoint") ?? process.env.KMS_ENDPOINT ?? DEFAULT_ENDPOINT;
  const accessKeyId = option(args, "access-key-id") ?? process.env.KMS_ACCESS_KEY_ID;
  const secretAccessKey = option(args, "secret-access-key") ?? process.env.KMS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw usageError("give --access-key-id and KMS_SECRET_ACCESS_KEY (or --secret-access-key)");
  const hours = option(args, "hours");
  const region = option(args, "region");
  const { credentials, principalArn } = await createKmsClient({ baseUrl: endpoint }).identity.login({
    accessKeyId,
    secretAccessKey,
    ...(hours !== undefined ? { durationSeconds: Math.round(Number(hours) * 3600) } : {}),
  });
  const expiresAt = credentials?.expiration ? timestampMs(credentials.expiration) : Date.now() + 3600_000;
  await saveSession({ endpoint, ...(region ? { region } : {}), sessionToken: credentials!.sessionToken, expiresAt, principalArn });
  print({ principal: principalArn, endpoint, expires: new Date(expiresAt).toISOString(), session: sessionPath() }, outputFormat(args));
}

/** kms logout: revokes the session on the server and forgets it here. */
export async function logout(args: CliArgs): Promise<void> {
  try {
    await (await sessionClient(args)).identity.logout({});
  } finally {
    await forgetSession();
  }
}

/** kms whoami */
export async function whoami(args: CliArgs): Promise<void> {
  const identity = await (await sessionClient(args)).identity.getCallerIdentity({});
  print({ arn: identity.arn, account: identity.account, userId: identity.userId }, outputFormat(args));
}
