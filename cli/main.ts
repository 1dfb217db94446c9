import { parseArgs } from "node:util";
import { EnvelopeError } from "../client/envelope/index.js";
import { KmsServiceError } from "../client/node.js";
import { CliError, EXIT, usageError } from "./cli-error.js";
import type { CliArgs } from "./context.js";
import { aliases } from "./commands/aliases.js";
import { grants } from "./commands/grants.js";
import { keys } from "./commands/keys.js";
import { login, logout, whoami } from "./commands/login.js";
import { policy } from "./commands/policy.js";
import { decrypt, encrypt } from "./commands/small-data.js";

const USAGE = `usage: kms <command> [arguments] [--endpoint URL] [--region R] [--output json|table]

  login --access-key-id ID   (secret in KMS_SECRET_ACCESS_KEY)   logout   whoami
  keys create [--description D] [--spec RSA_2048] [--usage SIGN_VERIFY] [--multi-region]
  keys describe|enable|disable|cancel-deletion|rotate KEY      keys list
  keys schedule-deletion KEY [--days 7-30]   keys rotation KEY [--enable [--period D] | --disable]
  aliases list | create NAME KEY | update NAME KEY | delete NAME
  policy get KEY | put KEY --file policy.json [--bypass-lockout-check]
  grants create KEY --grantee ARN --operations Encrypt,Decrypt [--retiring ARN] | list KEY
         revoke KEY GRANT_ID | retire --token TOKEN
  encrypt --key KEY [--context k=v]... [--in FILE|-] [--out FILE|-]   (up to 4 KB)
  decrypt [--in FILE] [--context k=v]... [--out FILE|-]               (base64 on stdin)
  envelope encrypt --key KEY [--key KEY2]... [--context k=v]... --in FILE|- --out FILE|- [--sign] [--progress]
  envelope decrypt --in FILE|- --out FILE|- [--key KEY]... [--context k=v]... [--require-signature] [--progress]

exit codes: 0 done, 1 refused by the service, 2 usage, 3 not logged in, 4 file error`;

const commands: Record<string, (args: CliArgs) => Promise<void>> = {
  login,
  logout,
  whoami,
  keys,
  aliases,
  policy,
  grants,
  encrypt,
  decrypt,
  envelope: async (args) => (await import("./commands/envelope.js")).envelope(args),
};

/** Runs one command line; returns the exit code. Errors go to stderr in one line, never a stack trace. */
export async function run(argv: string[]): Promise<number> {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        endpoint: { type: "string" },
        region: { type: "string" },
        output: { type: "string", short: "o" },
        "access-key-id": { type: "string" },
        "secret-access-key": { type: "string" },
        hours: { type: "string" },
        description: { type: "string" },
        spec: { type: "string" },
        usage: { type: "string" },
        "multi-region": { type: "boolean" },
        days: { type: "string" },
        enable: { type: "boolean" },
        disable: { type: "boolean" },
        period: { type: "string" },
        file: { type: "string" },
        "bypass-lockout-check": { type: "boolean" },
        grantee: { type: "string" },
        operations: { type: "string" },
        retiring: { type: "string" },
        name: { type: "string" },
        token: { type: "string" },
        key: { type: "string", multiple: true },
        context: { type: "string", multiple: true },
        in: { type: "string" },
        out: { type: "string" },
        progress: { type: "boolean" },
        sign: { type: "boolean" },
        "require-signature": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    const command = positionals[0];
    if (values.help || command === undefined || command === "help") {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
    }
    const handler = commands[command];
    if (!handler) throw usageError(`unknown command ${JSON.stringify(command)} (kms help lists them)`);
    await handler({ positionals, options: values });
    return EXIT.ok;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof CliError) {
    process.stderr.write(`kms: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof KmsServiceError || (e instanceof Error && "code" in e && "metadata" in e)) {
    const error = KmsServiceError.from(e);
    process.stderr.write(`kms: ${error.exception}: ${error.rawMessage}${error.requestId ? ` (request ${error.requestId})` : ""}\n`);
    return ["UnrecognizedClientException", "ExpiredTokenException", "MissingAuthenticationTokenException"].includes(error.exception) ? EXIT.unauthenticated : EXIT.refused;
  }
  if (e instanceof EnvelopeError) {
    // The message failed its checks (altered, truncated, another context): refused, like the service's refusals.
    process.stderr.write(`kms: ${e.message}\n`);
    return EXIT.refused;
  }
  if (e instanceof TypeError && String((e as { code?: string }).code).startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(`kms: ${e.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`kms: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT.io;
}
