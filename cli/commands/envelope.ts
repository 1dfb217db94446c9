import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { decryptStream, encryptStream } from "../../client/envelope/index.js";
import { CliError, EXIT, usageError } from "../cli-error.js";
import { encryptionContext, option, options, positional, sessionClient, type CliArgs } from "../context.js";
import { progressReporter } from "../progress.js";

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
  const sink = output === "-" ? process.stdout : createWriteStream(output);
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
    result = encryptStream(counted(source), { keys, encryptionContext: context });
  } else if (command === "decrypt") {
    // Any key the message names may open it, each through its own region.
    result = decryptStream(counted(source), { clientFor: (arn) => client.forRegion(regionOf(arn) ?? "").kms, encryptionContext: context });
  } else {
    throw usageError(`unknown envelope command ${JSON.stringify(command)}`);
  }
  await pipeline(Readable.from(result), sink);
  progress.finish();
}
