import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { decryptStream, encryptStream, type KmsDataKeyClient } from "../client/envelope/index.js";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { startServer } from "./bench-server.js";

// Throughput of the envelope format (client/envelope) against raw AES-256-GCM in the same
// process: one createCipheriv over the same pieces, which is the floor (no chunking, no framing,
// and a decryptor that releases plaintext before the one tag at the end is checked). The data
// key comes from the real server (one GenerateDataKey per message, one Decrypt): the rows measure
// the local cryptography and the streaming. The input is one random 64 KiB block yielded again
// and again, generated and discarded on the fly: nothing touches the disk or is held whole.
// BENCH_SMOKE=1 streams 16 MiB instead of 1 GiB.
const smoke = process.env.BENCH_SMOKE === "1";
const totalBytes = smoke ? 16 * 1024 * 1024 : 1024 * 1024 * 1024;
const pieceBytes = 64 * 1024;
const MiB = 1024 * 1024;

const block = randomBytes(pieceBytes);
const pieces = totalBytes / pieceBytes;
async function* plaintext(count = pieces): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) yield block;
}

/** Peak resident memory seen while a row ran, sampled every 16 pieces. */
let peakRss = 0;
const sample = (i: number) => {
  if (i % 16 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

/** Checks an output piece against the input, for one piece in 256 (cheap, and on both sides alike). */
function check(out: Uint8Array, i: number): void {
  if (i % 256 === 0 && (out.length !== pieceBytes || !block.equals(out))) throw new Error(`output piece ${i} differs from the input`);
}

const key = randomBytes(32);
const iv = randomBytes(12);

async function rawEncrypt(): Promise<number> {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  let bytes = 0;
  let i = 0;
  for await (const piece of plaintext()) {
    bytes += cipher.update(piece).length;
    sample(i++);
  }
  cipher.final();
  cipher.getAuthTag();
  return bytes;
}

async function rawRoundTrip(): Promise<number> {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  let bytes = 0;
  let i = 0;
  for await (const piece of plaintext()) {
    const out = decipher.update(cipher.update(piece));
    check(out, i);
    bytes += out.length;
    sample(i++);
  }
  cipher.final();
  decipher.setAuthTag(cipher.getAuthTag());
  decipher.final();
  return bytes;
}

async function envelopeEncrypt(client: KmsDataKeyClient, keyId: string, count = pieces): Promise<number> {
  let bytes = 0;
  let i = 0;
  for await (const part of encryptStream(plaintext(count), { keys: [{ keyId, client }], encryptionContext: { bench: "envelope" } })) {
    bytes += part.length;
    sample(i++);
  }
  return bytes;
}

async function envelopeRoundTrip(client: KmsDataKeyClient, keyId: string, count = pieces, sign = false): Promise<number> {
  let bytes = 0;
  let i = 0;
  const encrypted = encryptStream(plaintext(count), { keys: [{ keyId, client }], encryptionContext: { bench: "envelope" }, sign });
  for await (const out of decryptStream(encrypted, { clientFor: () => client, encryptionContext: { bench: "envelope" }, requireSignature: sign })) {
    check(out, i);
    bytes += out.length;
    sample(i++);
  }
  if (bytes !== count * pieceBytes) throw new Error(`decrypted ${bytes} bytes, not ${count * pieceBytes}`);
  return bytes;
}

interface Row {
  readonly name: string;
  readonly seconds: number;
  readonly mibPerSecond: number;
  readonly peakRssMiB: number;
}

async function row(name: string, run: () => Promise<number>): Promise<Row> {
  peakRss = process.memoryUsage().rss;
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  return { name, seconds, mibPerSecond: totalBytes / MiB / seconds, peakRssMiB: peakRss / MiB };
}

function median(rows: Row[]): Row {
  const sorted = [...rows].sort((a, b) => a.seconds - b.seconds);
  return { ...sorted[Math.floor(sorted.length / 2)]!, peakRssMiB: Math.max(...rows.map((r) => r.peakRssMiB)) };
}

const server = await startServer();
try {
  const token = await server.adminSessionToken();
  const auth: Interceptor = (next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req));
  const kms = createClient(KeyManagementService, createGrpcTransport({ baseUrl: server.url, interceptors: [auth] }));
  const keyId = (await kms.createKey({ description: "envelope benchmark" })).keyMetadata!.arn;

  // Warm-up: the JIT, the connection, OpenSSL's AES-GCM.
  await envelopeRoundTrip(kms, keyId, 64);
  await rawRoundTrip();
  const rssAtStart = process.memoryUsage().rss;

  // Rounds of the five rows, interleaved so that drift in the machine's speed hits all alike; each
  // row reports its median round (and the highest RSS of any round).
  const rounds = smoke ? 1 : 3;
  const runs: Row[][] = [[], [], [], [], []];
  for (let round = 0; round < rounds; round++) {
    runs[0]!.push(await row("raw AES-256-GCM encrypt (one cipher)", rawEncrypt));
    runs[1]!.push(await row("envelope encryptStream (64 KiB chunks)", () => envelopeEncrypt(kms, keyId)));
    runs[2]!.push(await row("raw AES-256-GCM encrypt + decrypt (one cipher each)", rawRoundTrip));
    runs[3]!.push(await row("envelope encryptStream + decryptStream", () => envelopeRoundTrip(kms, keyId)));
    runs[4]!.push(await row("envelope encryptStream + decryptStream, signed (ECDSA P-384, SHA-384 of every byte)", () => envelopeRoundTrip(kms, keyId, pieces, true)));
  }
  const [rawEnc, envEnc, rawBoth, envBoth, envSigned] = runs.map(median) as [Row, Row, Row, Row, Row];

  console.log(`\n### Envelope encryption: ${totalBytes / MiB} MiB per row, median of ${rounds} round${rounds === 1 ? "" : "s"}${smoke ? " (smoke run)" : ""}\n`);
  console.log("Data key from the real server (one GenerateDataKey, and one Decrypt, per message, inside the timed rows): the rows measure the local cryptography and the streaming.");
  console.log(`RSS before the first row: ${(rssAtStart / MiB).toFixed(0)} MiB (the runtime, tsx, the Connect client).\n`);
  console.log("| row | MiB | seconds | MiB/s | envelope / raw | peak RSS MiB |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const line = (r: Row, raw: Row | undefined) =>
    console.log(`| ${r.name} | ${totalBytes / MiB} | ${r.seconds.toFixed(2)} | ${r.mibPerSecond.toFixed(0)} | ${raw ? (r.mibPerSecond / raw.mibPerSecond).toFixed(2) : "1.00"} | ${r.peakRssMiB.toFixed(0)} |`);
  line(rawEnc, undefined);
  line(envEnc, rawEnc);
  line(rawBoth, undefined);
  line(envBoth, rawBoth);
  line(envSigned, rawBoth);
  console.log(`\nPeak RSS of the whole process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, for ${totalBytes / MiB} MiB streamed per row.`);
} finally {
  await server.stop();
}
