import { createKmsClient, type KmsClient } from "../client/node.js";
import { CliError, EXIT, usageError } from "./cli-error.js";
import type { OutputFormat } from "./output.js";
import { loadSession } from "./session-file.js";

/** The parsed command line every command gets. */
export interface CliArgs {
  readonly positionals: string[];
  readonly options: Record<string, string | boolean | string[] | undefined>;
}

/** A string option, or an error naming it when it is required. */
export function option(args: CliArgs, name: string, required: true): string;
export function option(args: CliArgs, name: string, required?: false): string | undefined;
export function option(args: CliArgs, name: string, required = false): string | undefined {
  const value = args.options[name];
  const text = Array.isArray(value) ? value[value.length - 1] : typeof value === "string" ? value : undefined;
  if (required && text === undefined) throw usageError(`--${name} is required`);
  return text;
}

/** A repeatable option's values. */
export function options(args: CliArgs, name: string): string[] {
  const value = args.options[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

/** The n-th positional argument (after the command words), or an error naming what it is. */
export function positional(args: CliArgs, index: number, what: string): string {
  const value = args.positionals[index];
  if (value === undefined) throw usageError(`missing ${what}`);
  return value;
}

/** --context k=v, repeatable: an encryption context. */
export function encryptionContext(args: CliArgs): Record<string, string> {
  const context = Object.create(null) as Record<string, string>;
  for (const pair of options(args, "context")) {
    const at = pair.indexOf("=");
    if (at <= 0) throw usageError(`--context takes key=value, got ${JSON.stringify(pair)}`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return context;
}

export function outputFormat(args: CliArgs): OutputFormat {
  const format = option(args, "output") ?? "table";
  if (format !== "json" && format !== "table") throw usageError("--output is json or table");
  return format;
}

/** A client on the stored session (from `kms login`), with --endpoint and --region overriding it. */
export async function sessionClient(args: CliArgs): Promise<KmsClient> {
  const session = await loadSession();
  if (!session) throw new CliError("not logged in: run `kms login` first", EXIT.unauthenticated);
  if (session.expiresAt <= Date.now()) throw new CliError("the session has expired: run `kms login` again", EXIT.unauthenticated);
  const region = option(args, "region") ?? session.region;
  return createKmsClient({ baseUrl: option(args, "endpoint") ?? session.endpoint, credentials: { sessionToken: session.sessionToken }, ...(region ? { region } : {}) });
}
