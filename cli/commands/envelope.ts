import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, rmSync } from "node:fs";
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
  // refused message leaves no plausible-looking partial output behind. The name is unguessable
  // and created exclusively, readable by its owner only: no one can plant a link there to catch
  // the plaintext, or read it while it is written.
  const partial = output === "-" ? undefined : `${output}.partial-${randomBytes(12).toString("hex")}`;
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
  // A signed message's plaintext goes to stdout only once its signature verified: a stream
  // releases chunks before the signature at its end is checked, and one who may only decrypt
  // could have forged them (as in the AWS Encryption SDK CLI's fix, GHSA-h45p-w933-jxh3).
  if (partial === undefined && command === "decrypt" && args.options["require-signature"] === true) result = await buffered(result);
  // Killed midway, the partial file goes too: no plaintext is left behind.
  const cleanup = () => {
    if (partial !== undefined) rmSync(partial, { force: true });
    process.exit(EXIT.io);
  };
  process.once("SIGINT", cleanup).once("SIGTERM", cleanup);
  try {
    // Opened only now, when the command line has been checked, so no refused command leaves a file.
    const sink = partial === undefined ? process.stdout : createWriteStream(partial, { flags: "wx", mode: 0o600 });
    await pipeline(Readable.from(result), sink);
    if (partial !== undefined) await rename(partial, output);
  } catch (e) {
    if (partial !== undefined) await rm(partial, { force: true });
    throw e;
  } finally {
    process.off("SIGINT", cleanup).off("SIGTERM", cleanup);
  }
  progress.finish();
}

/** The whole of a stream, released only once it ended without error. */
async function buffered(stream: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const pieces: Uint8Array[] = [];
  try {
    for await (const piece of stream) pieces.push(Buffer.from(piece));
  } catch (e) {
    for (const piece of pieces) piece.fill(0);
    throw e;
  }
  return pieces;
}
