import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { decryptStream, encryptStream } from "../../client/envelope/index.js";
import { CliError, EXIT, usageError } from "../cli-error.js";
import { encryptionContext, option, options, positional, sessionClient, type CliArgs } from "../context.js";
import { progressReporter } from "../progress.js";
import { loadSession } from "../session-file.js";

/** The region of a key ARN (arn:aws:kms:<region>:...), or undefined for an id or alias. */
function regionOf(keyId: string): string | undefined {
  return /^arn:[^:]+:kms:([^:]+):/.exec(keyId)?.[1];
}

/**
 * kms envelope <encrypt|decrypt>: data of any size through the envelope format, streamed from
 * --in to --out (a file or - for stdin/stdout) with bounded memory and a progress line.
 */
export async function envelope(args: CliArgs): Promise<void> {
  const command = positional(args, 1, "an envelope command (encrypt, decrypt)");
  const client = await sessionClient(args);
  const input = option(args, "in", true);
  const output = option(args, "out", true);
  const total = input === "-" ? undefined : await stat(input).then((s) => s.size, (e: Error) => {
    throw new CliError(`cannot read ${input}: ${e.message}`, EXIT.io);
  });
  const source = input === "-" ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  // A file is written under a temporary name and renamed only when everything verified, so a
  // refused message leaves no plausible-looking partial output behind.
  const partial = output === "-" ? undefined : `${output}.partial-${process.pid}`;
  const sink = partial === undefined ? process.stdout : createWriteStream(partial);
  const progress = progressReporter(command === "encrypt" ? "encrypting" : "decrypting", total, { force: args.options.progress === true });
  const counted = async function* (stream: AsyncIterable<Uint8Array>) {
    for await (const piece of stream) {
      progress.add(piece.length);
      yield piece;
    }
  };
  const context = encryptionContext(args);
  let result: AsyncIterable<Uint8Array>;
  if (command === "encrypt") {
    const keyIds = options(args, "key");
    if (keyIds.length === 0) throw usageError("--key is required (repeat it for more keys that can each decrypt)");
    const keys = keyIds.map((keyId) => ({ keyId, client: (regionOf(keyId) ? client.forRegion(regionOf(keyId)!) : client).kms }));
    result = encryptStream(counted(source), { keys, encryptionContext: context, sign: args.options.sign === true });
  } else if (command === "decrypt") {
    // The header is untrusted: only keys the user names with --key, or else keys of the user's
    // own account, are asked to unwrap it, each through its own region.
    const allowed = options(args, "key");
    const account = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec((await loadSession())?.principalArn ?? "")?.[1];
    const trusted = (arn: string) => (allowed.length > 0 ? allowed.some((k) => arn === k || arn.endsWith(`:key/${k}`)) : arn.split(":")[4] === account);
    result = decryptStream(counted(source), {
      clientFor: (arn) => (trusted(arn) ? client.forRegion(regionOf(arn) ?? "").kms : undefined),
      encryptionContext: context,
      requireSignature: args.options["require-signature"] === true,
    });
  } else {
    throw usageError(`unknown envelope command ${JSON.stringify(command)}`);
  }
  try {
    await pipeline(Readable.from(result), sink);
  } catch (e) {
    if (partial !== undefined) await rm(partial, { force: true });
    throw e;
  }
  if (partial !== undefined) await rename(partial, output);
  progress.finish();
}
