import { readFile, writeFile } from "node:fs/promises";
import { CliError, EXIT } from "../cli-error.js";
import { encryptionContext, option, sessionClient, type CliArgs } from "../context.js";

async function readInput(path: string | undefined): Promise<Buffer> {
  try {
    if (path === undefined || path === "-") {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    return await readFile(path);
  } catch (e) {
    throw new CliError(`cannot read ${path ?? "stdin"}: ${(e as Error).message}`, EXIT.io);
  }
}

async function writeOutput(path: string | undefined, data: Uint8Array, text: () => string): Promise<void> {
  if (path === undefined || path === "-") {
    process.stdout.write(path === "-" ? data : text());
    return;
  }
  await writeFile(path, data).catch((e: Error) => {
    throw new CliError(`cannot write ${path}: ${e.message}`, EXIT.io);
  });
}

/** kms encrypt --key K [--context k=v] [--in FILE|-] [--out FILE|-]: up to 4 KB; without --out, base64 on stdout. */
export async function encrypt(args: CliArgs): Promise<void> {
  const { kms } = await sessionClient(args);
  const plaintext = await readInput(option(args, "in"));
  const { ciphertextBlob } = await kms.encrypt({ keyId: option(args, "key", true), plaintext, encryptionContext: encryptionContext(args) });
  plaintext.fill(0);
  await writeOutput(option(args, "out"), ciphertextBlob, () => `${Buffer.from(ciphertextBlob).toString("base64")}\n`);
}

/** kms decrypt [--in FILE (binary) | stdin (base64)] [--context k=v] [--out FILE|-]: the plaintext, raw. */
export async function decrypt(args: CliArgs): Promise<void> {
  const { kms } = await sessionClient(args);
  const path = option(args, "in");
  const input = await readInput(path);
  const ciphertextBlob = path === undefined || path === "-" ? Buffer.from(input.toString("utf8").trim(), "base64") : input;
  const key = option(args, "key");
  const { plaintext } = await kms.decrypt({ ciphertextBlob, encryptionContext: encryptionContext(args), ...(key ? { keyId: key } : {}) });
  await writeOutput(option(args, "out") ?? "-", plaintext, () => "");
}
