import { readFile } from "node:fs/promises";
import { CliError, EXIT, usageError } from "../cli-error.js";
import { option, positional, sessionClient, type CliArgs } from "../context.js";

/** kms policy <get|put> KEY [--file policy.json] [--bypass-lockout-check] */
export async function policy(args: CliArgs): Promise<void> {
  const { kms } = await sessionClient(args);
  const command = positional(args, 1, "a policy command (get, put)");
  const keyId = positional(args, 2, "a key id or ARN");
  if (command === "get") {
    process.stdout.write(`${(await kms.getKeyPolicy({ keyId, policyName: "default" })).policy}\n`);
    return;
  }
  if (command !== "put") throw usageError(`unknown policy command ${JSON.stringify(command)}`);
  const file = option(args, "file", true);
  const text = await readFile(file, "utf8").catch((e: Error) => {
    throw new CliError(`cannot read ${file}: ${e.message}`, EXIT.io);
  });
  await kms.putKeyPolicy({ keyId, policyName: "default", policy: text, bypassPolicyLockoutSafetyCheck: args.options["bypass-lockout-check"] === true });
}
