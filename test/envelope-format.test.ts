import test, { type ExecutionContext } from "ava";
import fc from "fast-check";
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { sealChunk } from "../client/envelope/chunk.js";
import { encodeHeaderBody, type EnvelopeHeader } from "../client/envelope/header.js";
import {
  createDataKeyCache,
  decrypt,
  decryptStream,
  encrypt,
  encryptStream,
  EnvelopeError,
  parseEnvelopeHeader,
  type DecryptOptions,
  type EncryptOptions,
  type EnvelopeErrorCode,
  type KmsDataKeyClient,
} from "../client/envelope/index.js";
import { deriveMessageKeys, headerTag } from "../client/envelope/key-schedule.js";
import { fakeKms, type FakeKms } from "./fixtures/envelope/fake-kms.js";

// The envelope format, pure: a fake in-process KMS (fixtures/envelope/fake-kms.ts) that really
// wraps data keys with AES-GCM. The same library against the real server: envelope-kms.test.ts.

const US = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111";
const EU = "arn:aws:kms:eu-west-1:111122223333:key/22222222-2222-2222-2222-222222222222";
const CHUNK = 1024;
const CONTEXT = { tenant: "acme", purpose: "test" };

const newKms = (): FakeKms => fakeKms({ [US]: randomBytes(32), [EU]: randomBytes(32) });
const kms = newKms();
const keys = (client: KmsDataKeyClient = kms) => [
  { keyId: US, client },
  { keyId: EU, client },
];
const encryptOptions: EncryptOptions = { keys: keys(), encryptionContext: CONTEXT, chunkSize: CHUNK };
const decryptOptions: DecryptOptions = { clientFor: () => kms };

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** The code of the EnvelopeError a call fails with; anything else (success, another error) fails the test. */
async function codeOf(call: Promise<unknown> | (() => Promise<unknown>)): Promise<EnvelopeErrorCode> {
  try {
    await (typeof call === "function" ? call() : call);
  } catch (error) {
    if (error instanceof EnvelopeError) {
      if (error.message.length > 200) throw new Error(`an EnvelopeError message is long: ${error.message}`);
      return error.code;
    }
    throw new Error(`expected an EnvelopeError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  throw new Error("expected an EnvelopeError, but the call succeeded");
}

/** Splits `data` into pieces of `size` bytes (the last shorter). */
function piecesOf(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** A message split into its header and chunk frames, by the documented framing. */
function framesOf(message: Uint8Array): { header: Buffer; frames: Buffer[] } {
  const { length } = parseEnvelopeHeader(message);
  const frames: Buffer[] = [];
  const body = Buffer.from(message);
  for (let at = length; at < body.length; ) {
    const n = body.readUInt32BE(at + 1);
    frames.push(body.subarray(at, at + 5 + n + 16));
    at += 5 + n + 16;
  }
  return { header: body.subarray(0, length), frames };
}

/** Streams `message` through decryptStream; returns what was released and how it ended. */
async function streamDecrypt(message: Uint8Array, options: DecryptOptions = decryptOptions, pieceSize = 700): Promise<{ released: Buffer; code: EnvelopeErrorCode | "ok" }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const part of decryptStream(piecesOf(message, pieceSize), options)) parts.push(Buffer.from(part));
    return { released: Buffer.concat(parts), code: "ok" };
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    return { released: Buffer.concat(parts), code: error.code };
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips

const sizes: Array<[string, number]> = [
  ["0 bytes", 0],
  ["1 byte", 1],
  ["chunk size - 1", CHUNK - 1],
  ["exactly one chunk", CHUNK],
  ["chunk size + 1", CHUNK + 1],
  ["several chunks", 5 * CHUNK + 321],
  ["exactly several chunks", 4 * CHUNK],
];
for (const [what, size] of sizes) {
  test(`round trip: ${what} (${size}), buffer and stream forms, and the framing is as documented`, async (t) => {
    const plaintext = randomBytes(size);
    const message = await encrypt(plaintext, encryptOptions);
    const result = await decrypt(message, { ...decryptOptions, encryptionContext: { tenant: "acme" } });
    t.is(sha256(result.plaintext), sha256(plaintext));
    t.deepEqual(result.encryptionContext, CONTEXT);
    t.is(result.keyArn, US, "the first key that has a client is used");
    t.is(result.chunkSize, CHUNK);

    // Frames: ceil(n / chunk) of them, at least one; only the last is final; full chunks before it.
    const { header, frames } = framesOf(message);
    const count = Math.max(1, Math.ceil(size / CHUNK));
    t.is(frames.length, count);
    frames.forEach((frame, i) => {
      t.is(frame[0], i === count - 1 ? 1 : 0, `kind of chunk ${i}`);
      t.is(frame.readUInt32BE(1), i === count - 1 ? size - (count - 1) * CHUNK : CHUNK, `length of chunk ${i}`);
    });
    t.is(message.length, header.length + count * 21 + size);

    // The stream forms, with source pieces that do not line up with chunks (1 byte, odd sizes).
    for (const pieceSize of [1, 7, 1000, CHUNK, CHUNK + 3]) {
      if (pieceSize === 1 && size > 2 * CHUNK) continue;
      const streamed = await collect(encryptStream(piecesOf(plaintext, pieceSize), encryptOptions));
      const back = await collect(decryptStream(piecesOf(streamed, pieceSize), decryptOptions));
      t.is(sha256(back), sha256(plaintext), `pieces of ${pieceSize}`);
    }
  });
}

test("round trip with the default 64 KiB chunk size at the chunk boundary and beyond, from a Node Readable", async (t) => {
  for (const size of [65535, 65536, 65537, 200_000]) {
    const plaintext = randomBytes(size);
    const message = await collect(encryptStream(Readable.from(piecesOf(plaintext, 16_384)), { keys: [{ keyId: US, client: kms }] }));
    t.is(framesOf(message).frames.length, Math.ceil(size / 65536));
    const back = await collect(decryptStream(Readable.from(piecesOf(message, 10_000)), decryptOptions));
    t.true(back.equals(plaintext), `${size} bytes`);
  }
});

test("the header is laid out byte by byte as docs/envelope-format.md says", async (t) => {
  const message = Buffer.from(await encrypt(Buffer.from("hi"), { keys: keys(), encryptionContext: { b: "2", a: "1" }, chunkSize: 4096 }));
  let at = 0;
  const take = (n: number) => message.subarray(at, (at += n));
  t.is(take(4).toString("latin1"), "KMSE", "magic");
  t.is(take(1)[0], 1, "version");
  t.is(take(2).readUInt16BE(), 0x0001, "suite");
  const messageId = take(32);
  t.is(take(2).readUInt16BE(), 2, "context pair count");
  for (const [k, v] of [["a", "1"], ["b", "2"]]) {
    t.is(take(2).readUInt16BE(), 1);
    t.is(take(1).toString(), k, "pairs sorted by key");
    t.is(take(2).readUInt16BE(), 1);
    t.is(take(1).toString(), v);
  }
  t.is(take(1)[0], 2, "encrypted data key count");
  for (const arn of [US, EU]) {
    t.is(take(take(2).readUInt16BE()).toString("latin1"), arn, "key ARNs in the order given");
    t.true(take(take(2).readUInt16BE()).length > 32, "a KMS blob");
  }
  t.is(take(4).readUInt32BE(), 4096, "chunk size");
  const commitment = take(32);
  const authenticated = message.subarray(0, at);
  const tag = take(32);
  const parsed = parseEnvelopeHeader(message);
  t.is(parsed.length, at);
  t.deepEqual(Buffer.from(parsed.header.messageId), messageId);
  t.deepEqual(Buffer.from(parsed.header.commitment), commitment);
  t.deepEqual(Buffer.from(parsed.header.tag), tag);
  t.deepEqual(Buffer.from(parsed.header.authenticated), authenticated);
  // Then one final chunk: kind 1, length 2, 2 bytes of ciphertext, 16 bytes of tag, nothing more.
  t.is(message[at], 1);
  t.is(message.readUInt32BE(at + 1), 2);
  t.is(message.length, at + 5 + 2 + 16);
});

// Serial, so that no other test allocates meanwhile; a full GC every 2 MiB or so, so that RSS shows
// what the code keeps, not garbage V8 has not collected yet (it lets up to 64 MiB of buffers
// pile up before it collects them).
test.serial("a 50 MiB stream round-trips with bounded memory (streamed through generators, never buffered)", async (t) => {
  t.timeout(120_000);
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const total = 50 * 1024 * 1024;
  const pieceSize = 60_000; // not a multiple of the chunk size
  const block = randomBytes(pieceSize);
  const inputHash = createHash("sha256");
  // One buffer, rewritten for every piece: the encryptor must not keep a reference across pulls.
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let sent = 0, i = 0; sent < total; i++) {
      const n = Math.min(pieceSize, total - sent);
      block.writeUInt32BE(i, 0);
      const piece = block.subarray(0, n);
      inputHash.update(piece);
      yield piece;
      sent += n;
    }
  }
  gc();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const outputHash = createHash("sha256");
  let bytes = 0;
  let progress = 0;
  let chunks = 0;
  for await (const part of decryptStream(encryptStream(source(), { keys: [{ keyId: US, client: kms }], encryptionContext: CONTEXT }), { ...decryptOptions, onProgress: (b) => (progress = b) })) {
    outputHash.update(part);
    bytes += part.length;
    if (++chunks % 32 === 0) {
      peak = Math.max(peak, process.memoryUsage().rss);
      gc();
    }
  }
  t.is(bytes, total);
  t.is(progress, total, "onProgress reports the bytes released");
  t.is(outputHash.digest("hex"), inputHash.digest("hex"));
  const growthMiB = (peak - rssBefore) / 1024 / 1024;
  t.log(`RSS growth while streaming 50 MiB: ${growthMiB.toFixed(1)} MiB`);
  t.true(growthMiB < 16, `RSS grew by ${growthMiB.toFixed(1)} MiB`);
});

// ---------------------------------------------------------------------------------------------
// Tampering: every change is refused with an EnvelopeError, and no unverified plaintext leaks

/** A message of four chunks (the last half full), two wrapping keys, a context. */
async function sample(): Promise<{ plaintext: Buffer; message: Buffer; header: Buffer; frames: Buffer[] }> {
  const plaintext = randomBytes(3 * CHUNK + CHUNK / 2);
  const message = Buffer.from(await encrypt(plaintext, encryptOptions));
  return { plaintext, message, ...framesOf(message) };
}

/** The header's regions, by offset, for a header parsed from `header`. */
function regionsOf(header: Buffer): Array<[string, number, number]> {
  const h = parseEnvelopeHeader(header).header;
  const contextStart = 39;
  const contextEnd = contextStart + 2 + Object.entries(h.encryptionContext).reduce((n, [k, v]) => n + 4 + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  const regions: Array<[string, number, number]> = [
    ["magic", 0, 4],
    ["version", 4, 5],
    ["suite", 5, 7],
    ["message id", 7, 39],
    ["encryption context", contextStart, contextEnd],
    ["data key count", contextEnd, contextEnd + 1],
  ];
  let at = contextEnd + 1;
  h.encryptedDataKeys.forEach((edk, i) => {
    regions.push([`key ${i} ARN (with length)`, at, at + 2 + edk.keyArn.length]);
    at += 2 + edk.keyArn.length;
    regions.push([`key ${i} blob (with length)`, at, at + 2 + edk.ciphertextBlob.length]);
    at += 2 + edk.ciphertextBlob.length;
  });
  regions.push(["chunk size", at, at + 4], ["commitment", at + 4, at + 36], ["header tag", at + 36, at + 68]);
  if (at + 68 !== header.length) throw new Error("regions do not cover the header");
  return regions;
}

test("every single-bit flip in every region of the header is refused, with the error of its region", async (t) => {
  const { message, header } = await sample();
  // Codes a flip may give, per region. Key ARN and blob flips fall back to the other key, which
  // then finds the header tag wrong (or, when a length changed, the fields after it shifted, so
  // the commitment read is not the commitment); context flips also fail in KMS, which binds it.
  const allowed: Record<string, EnvelopeErrorCode[]> = {
    magic: ["Unsupported"],
    version: ["Unsupported"],
    suite: ["Unsupported"],
    "message id": ["CommitmentMismatch"],
    "encryption context": ["MalformedHeader", "DataKeyUnavailable", "Truncated"],
    "data key count": ["MalformedHeader", "Truncated"],
    "key 0 ARN (with length)": ["MalformedHeader", "HeaderAuthenticationFailed", "CommitmentMismatch", "Truncated"],
    "key 0 blob (with length)": ["MalformedHeader", "HeaderAuthenticationFailed", "CommitmentMismatch", "Truncated"],
    "key 1 ARN (with length)": ["MalformedHeader", "HeaderAuthenticationFailed", "CommitmentMismatch", "Truncated"],
    "key 1 blob (with length)": ["MalformedHeader", "HeaderAuthenticationFailed", "CommitmentMismatch", "Truncated"],
    "chunk size": ["MalformedHeader", "HeaderAuthenticationFailed"],
    commitment: ["CommitmentMismatch"],
    "header tag": ["HeaderAuthenticationFailed"],
  };
  const seen: Record<string, Set<string>> = {};
  for (const [region, start, end] of regionsOf(header)) {
    seen[region] = new Set();
    for (let at = start; at < end; at++) {
      for (const bit of [0, 7]) {
        const tampered = Buffer.from(message);
        tampered[at]! ^= 1 << bit;
        const { released, code } = await streamDecrypt(tampered);
        t.is(released.length, 0, `${region} byte ${at}: nothing released`);
        seen[region]!.add(code);
        if (!allowed[region]!.includes(code as EnvelopeErrorCode)) t.fail(`${region} byte ${at} bit ${bit}: ${code}`);
      }
    }
  }
  t.log(Object.entries(seen).map(([r, c]) => `${r}: ${[...c].join(", ")}`).join("\n"));
  // The regions the header tag alone protects do reach it.
  t.true(seen["key 0 blob (with length)"]!.has("HeaderAuthenticationFailed"));
  t.true(seen["chunk size"]!.has("HeaderAuthenticationFailed"));
});

test("a swapped encryption context is refused by the header tag even if KMS did not bind the context", async (t) => {
  const loose = fakeKms({ [US]: randomBytes(32) }, { bindContext: false });
  const plaintext = randomBytes(2000);
  const message = Buffer.from(await encrypt(plaintext, { keys: [{ keyId: US, client: loose }], encryptionContext: { tenant: "acme" }, chunkSize: CHUNK }));
  const { header, frames } = framesOf(message);
  const parsed = parseEnvelopeHeader(header).header;
  const swapped = Buffer.concat([rebuildHeader(parsed, { encryptionContext: { tenant: "evil" } }), parsed.tag, ...frames]);
  t.is(await codeOf(decrypt(swapped, { clientFor: () => loose })), "HeaderAuthenticationFailed");
  // With the real KMS behaviour, the data key does not even unwrap under another context.
  const strict = Buffer.from(await encrypt(plaintext, { ...encryptOptions, encryptionContext: { tenant: "acme" } }));
  const s = framesOf(strict);
  const sParsed = parseEnvelopeHeader(s.header).header;
  const error = await decrypt(Buffer.concat([rebuildHeader(sParsed, { encryptionContext: { tenant: "evil" } }), sParsed.tag, ...s.frames]), decryptOptions).catch((e: unknown) => e);
  t.true(error instanceof EnvelopeError);
  t.is((error as EnvelopeError).code, "DataKeyUnavailable");
  t.deepEqual(
    (error as EnvelopeError).kmsFailures.map((f) => f.exception),
    ["InvalidCiphertextException", "InvalidCiphertextException"],
  );
});

/** The header's authenticated bytes with some fields replaced (and the given commitment). */
function rebuildHeader(h: EnvelopeHeader, change: Partial<Pick<EnvelopeHeader, "suiteId" | "encryptionContext" | "encryptedDataKeys" | "commitment" | "chunkSize">>): Buffer {
  return encodeHeaderBody({ suiteId: h.suiteId, messageId: h.messageId, encryptionContext: h.encryptionContext, encryptedDataKeys: h.encryptedDataKeys, chunkSize: h.chunkSize, commitment: h.commitment, ...change });
}

test("a changed key commitment is refused before anything else is checked", async (t) => {
  const { message, header } = await sample();
  const commitmentAt = header.length - 64;
  for (let at = commitmentAt; at < commitmentAt + 32; at++) {
    const tampered = Buffer.from(message);
    tampered[at]! ^= 0x80;
    t.is(await codeOf(decrypt(tampered, decryptOptions)), "CommitmentMismatch");
  }
});

test("invisible salamander: copies of different data keys in one header are refused by the key commitment", async (t) => {
  // An encryptor who controls both wrapping keys writes the US copy of data key A and the EU
  // copy of data key B, with the header tag and the chunks made under B, and A's commitment.
  // Without the commitment, a US reader and an EU reader would read different plaintexts.
  const { header, frames } = await sample();
  const h = parseEnvelopeHeader(header).header;
  const dataKeyB = randomBytes(32);
  const wrappedB = await kms.encrypt({ keyId: EU, plaintext: dataKeyB, encryptionContext: CONTEXT });
  const keysB = deriveMessageKeys(dataKeyB, h.messageId, h.suiteId);
  const otherPlaintext = Buffer.from("a different plaintext for the EU reader");
  const forged = (commitment: Uint8Array): Buffer => {
    const body = rebuildHeader(h, { encryptedDataKeys: [h.encryptedDataKeys[0]!, { keyArn: EU, ciphertextBlob: wrappedB.ciphertextBlob }], commitment });
    return Buffer.concat([body, headerTag(keysB.headerKey, body), ...sealChunk(keysB.chunkKey, h.messageId, 0, true, otherPlaintext)]);
  };
  const euOnly: DecryptOptions = { clientFor: (arn) => (arn === EU ? kms : undefined) };
  const usOnly: DecryptOptions = { clientFor: (arn) => (arn === US ? kms : undefined) };
  // Sanity: with B's own commitment the forgery is a valid message for the EU reader...
  t.true(Buffer.from((await decrypt(forged(keysB.commitment), euOnly)).plaintext).equals(otherPlaintext));
  // ...but with A's commitment (what the US reader checks against) the EU reader refuses it,
  t.is(await codeOf(decrypt(forged(h.commitment), euOnly)), "CommitmentMismatch");
  // and the US reader refuses it too (the header tag is B's).
  t.is(await codeOf(decrypt(forged(h.commitment), usOnly)), "HeaderAuthenticationFailed");
  t.truthy(frames.length);
});

test("every byte flip in every chunk is refused, and only the chunks before it are released", async (t) => {
  const { plaintext, header, frames } = await sample();
  const codes = new Set<string>();
  for (let f = 0; f < frames.length; f++) {
    for (let at = 0; at < frames[f]!.length; at += at < 8 || at > frames[f]!.length - 20 ? 1 : 37) {
      const tampered = frames.map((frame) => Buffer.from(frame));
      tampered[f]![at]! ^= at === 0 ? 1 : 0x10;
      const { released, code } = await streamDecrypt(Buffer.concat([header, ...tampered]));
      codes.add(code);
      if (!["ChunkAuthenticationFailed", "MalformedChunk", "Truncated"].includes(code)) t.fail(`chunk ${f} byte ${at}: ${code}`);
      if (!released.equals(plaintext.subarray(0, f * CHUNK))) t.fail(`chunk ${f} byte ${at}: released ${released.length} bytes`);
    }
  }
  t.deepEqual([...codes].sort(), ["ChunkAuthenticationFailed", "MalformedChunk", "Truncated"]);
});

test("reordered, duplicated and dropped chunks are refused", async (t) => {
  const { header, frames } = await sample();
  const [a, b, c, d] = frames as [Buffer, Buffer, Buffer, Buffer];
  const cases: Array<[string, Buffer[], EnvelopeErrorCode]> = [
    ["two chunks swapped", [a, c, b, d], "ChunkAuthenticationFailed"],
    ["first chunk moved last but one", [b, c, a, d], "ChunkAuthenticationFailed"],
    ["a chunk duplicated", [a, b, b, c, d], "ChunkAuthenticationFailed"],
    ["the first chunk duplicated", [a, a, b, c, d], "ChunkAuthenticationFailed"],
    ["a middle chunk dropped", [a, c, d], "ChunkAuthenticationFailed"],
    ["the first chunk dropped", [b, c, d], "ChunkAuthenticationFailed"],
    ["the final chunk dropped", [a, b, c], "Truncated"],
    ["every chunk dropped", [], "Truncated"],
    ["the final chunk duplicated", [a, b, c, d, d], "TrailingData"],
    ["the final chunk moved first", [d, a, b, c], "ChunkAuthenticationFailed"],
  ];
  for (const [what, body, code] of cases) t.is(await codeOf(decrypt(Buffer.concat([header, ...body]), decryptOptions)), code, what);
});

test("a non-final chunk relabelled final (a truncation made to look complete) is refused", async (t) => {
  const { header, frames } = await sample();
  const relabelled = Buffer.from(frames[2]!);
  relabelled[0] = 1;
  t.is(await codeOf(decrypt(Buffer.concat([header, frames[0]!, frames[1]!, relabelled]), decryptOptions)), "ChunkAuthenticationFailed");
  const full = Buffer.from(frames[0]!);
  full[0] = 1;
  t.is(await codeOf(decrypt(Buffer.concat([header, full]), decryptOptions)), "ChunkAuthenticationFailed");
});

test("truncation anywhere, at chunk boundaries and inside the header or a chunk, is refused as Truncated", async (t) => {
  const { message, header, frames } = await sample();
  let boundary = header.length;
  for (const frame of frames.slice(0, -1)) {
    t.is(await codeOf(decrypt(message.subarray(0, boundary), decryptOptions)), "Truncated", `cut at chunk boundary ${boundary}`);
    boundary += frame.length;
  }
  t.is(await codeOf(decrypt(message.subarray(0, boundary), decryptOptions)), "Truncated", "cut before the final chunk");
  const codes = new Set<string>();
  for (let cut = 0; cut < message.length; cut += cut < header.length + 30 ? 1 : 13) codes.add(await codeOf(decrypt(message.subarray(0, cut), decryptOptions)));
  t.deepEqual([...codes], ["Truncated"]);
});

test("bytes after the final chunk are refused, and the final chunk's plaintext is not released", async (t) => {
  const { plaintext, message, frames } = await sample();
  const other = Buffer.from(await encrypt(Buffer.from("x"), encryptOptions));
  for (const [what, extra] of [
    ["one zero byte", Buffer.of(0)],
    ["a copy of the final chunk", frames[3]!],
    ["a whole second message", other],
  ] as const) {
    const { released, code } = await streamDecrypt(Buffer.concat([message, extra]));
    t.is(code, "TrailingData", what);
    t.true(released.equals(plaintext.subarray(0, 3 * CHUNK)), `${what}: only the non-final chunks were released`);
  }
  // Trailing bytes arriving as a later piece, after a pause, are seen too.
  async function* late(): AsyncGenerator<Uint8Array> {
    yield message;
    await new Promise((resolve) => setTimeout(resolve, 5));
    yield Buffer.of(1);
  }
  t.is(await codeOf(collect(decryptStream(late(), decryptOptions))), "TrailingData");
  // Empty pieces after the end are not data.
  t.true((await collect(decryptStream([message, new Uint8Array(0)], decryptOptions))).equals(plaintext));
});

test("a chunk from another message under the same (cached) data key is refused", async (t) => {
  const cache = createDataKeyCache({ maxAgeMs: 60_000, maxMessages: 10, maxBytes: 1 << 20, maxEntries: 4 });
  const plaintext = randomBytes(3 * CHUNK + 1);
  const a = framesOf(await encrypt(plaintext, { ...encryptOptions, dataKeyCache: cache }));
  const b = framesOf(await encrypt(plaintext, { ...encryptOptions, dataKeyCache: cache }));
  t.deepEqual(parseEnvelopeHeader(a.header).header.encryptedDataKeys, parseEnvelopeHeader(b.header).header.encryptedDataKeys, "the same data key");
  t.is(await codeOf(decrypt(Buffer.concat([a.header, a.frames[0]!, b.frames[1]!, a.frames[2]!, a.frames[3]!]), decryptOptions)), "ChunkAuthenticationFailed");
  t.is(await codeOf(decrypt(Buffer.concat([a.header, ...b.frames]), decryptOptions)), "ChunkAuthenticationFailed");
});

// ---------------------------------------------------------------------------------------------
// The expected encryption context and the choice of key

test("the expected context: its pairs must all be in the message's context, checked before any KMS call", async (t) => {
  const client = newKms();
  const message = await encrypt(Buffer.from("ctx"), { keys: [{ keyId: US, client }], encryptionContext: { tenant: "acme", purpose: "test" } });
  const options = (encryptionContext: Record<string, string>): DecryptOptions => ({ clientFor: () => client, encryptionContext });
  t.is(Buffer.from((await decrypt(message, options({}))).plaintext).toString(), "ctx", "nothing required");
  t.is(Buffer.from((await decrypt(message, options({ tenant: "acme" }))).plaintext).toString(), "ctx", "a subset");
  t.is(Buffer.from((await decrypt(message, options({ purpose: "test", tenant: "acme" }))).plaintext).toString(), "ctx", "all of it");
  const before = client.calls.Decrypt;
  const refused: Array<Record<string, string>> = [{ tenant: "other" }, { tenant: "acme", region: "eu" }, { Tenant: "acme" }, { tenant: "ACME" }, { tenant: "" }];
  for (const required of refused) {
    t.is(await codeOf(decrypt(message, options(required))), "ContextMismatch", JSON.stringify(required));
    t.is(await codeOf(collect(decryptStream([message], options(required)))), "ContextMismatch");
  }
  t.is(client.calls.Decrypt, before, "no KMS call was made for a refused context");
  const none = await encrypt(Buffer.from("no context"), { keys: [{ keyId: US, client }] });
  t.is(await codeOf(decrypt(none, options({ tenant: "acme" }))), "ContextMismatch");
});

test("decryption uses the first data key that has a client, falls back past failures, and names every failure", async (t) => {
  const client = newKms();
  const message = await encrypt(Buffer.from("two keys"), { keys: keys(client) });
  const only = (arn: string): DecryptOptions => ({ clientFor: (a) => (a === arn ? client : undefined) });
  t.is((await decrypt(message, only(EU))).keyArn, EU, "the second key alone suffices");
  t.is((await decrypt(message, only(US))).keyArn, US);
  t.is(await codeOf(decrypt(message, { clientFor: () => undefined })), "DataKeyUnavailable");

  client.deny.set(US, new Set(["Decrypt"]));
  const fallback = await decrypt(message, { clientFor: () => client });
  t.is(fallback.keyArn, EU, "fell back to the second key");
  client.deny.set(EU, new Set(["Decrypt"]));
  const error = (await decrypt(message, { clientFor: () => client }).catch((e: unknown) => e)) as EnvelopeError;
  t.true(error instanceof EnvelopeError);
  t.is(error.code, "DataKeyUnavailable");
  t.deepEqual(
    error.kmsFailures.map((f) => [f.operation, f.keyId, f.exception]),
    [
      ["Decrypt", US, "AccessDeniedException"],
      ["Decrypt", EU, "AccessDeniedException"],
    ],
  );
  t.regex(error.message, /AccessDeniedException/);
});

test("KMS refusals while encrypting are a KmsFailure naming the exception", async (t) => {
  const client = newKms();
  client.deny.set(US, new Set(["GenerateDataKey"]));
  const generate = (await encrypt(Buffer.from("x"), { keys: keys(client) }).catch((e: unknown) => e)) as EnvelopeError;
  t.is(generate.code, "KmsFailure");
  t.deepEqual(generate.kmsFailures.map((f) => [f.operation, f.exception]), [["GenerateDataKey", "AccessDeniedException"]]);
  client.deny.clear();
  client.deny.set(EU, new Set(["Encrypt"]));
  const wrap = (await encrypt(Buffer.from("x"), { keys: keys(client) }).catch((e: unknown) => e)) as EnvelopeError;
  t.is(wrap.code, "KmsFailure");
  t.deepEqual(wrap.kmsFailures.map((f) => [f.operation, f.keyId, f.exception]), [["Encrypt", EU, "AccessDeniedException"]]);
  const missing = (await encrypt(Buffer.from("x"), { keys: [{ keyId: "arn:aws:kms:us-east-1:111122223333:key/none", client }] }).catch((e: unknown) => e)) as EnvelopeError;
  t.is(missing.kmsFailures[0]!.exception, "NotFoundException");
  t.true(client.issued.every((k) => k.every((b) => b === 0)), "the data key was zeroed after the failure");
});

test("every plaintext data key KMS returned is zeroed once used", async (t) => {
  const client = newKms();
  const message = await encrypt(randomBytes(3000), { keys: keys(client), chunkSize: CHUNK });
  await decrypt(message, { clientFor: () => client });
  await collect(decryptStream([message], { clientFor: () => client }));
  t.is(client.issued.length, 3);
  for (const key of client.issued) t.true(key.length === 32 && key.every((b) => b === 0));
});

test("bad options are InvalidArgument at once, bad sources as they are read", async (t) => {
  const client = newKms();
  const base: EncryptOptions = { keys: [{ keyId: US, client }] };
  const bad: Array<[string, () => unknown]> = [
    ["chunk size below 1 KiB", () => encryptStream([], { ...base, chunkSize: 1023 })],
    ["chunk size above 16 MiB", () => encryptStream([], { ...base, chunkSize: 16 * 1024 * 1024 + 1 })],
    ["fractional chunk size", () => encryptStream([], { ...base, chunkSize: 1024.5 })],
    ["no keys", () => encryptStream([], { keys: [] })],
    ["17 keys", () => encryptStream([], { keys: Array.from({ length: 17 }, () => ({ keyId: US, client })) })],
    ["an empty key id", () => encryptStream([], { keys: [{ keyId: "", client }] })],
    ["an empty context key", () => encryptStream([], { ...base, encryptionContext: { "": "v" } })],
    ["a lone surrogate in the context", () => encryptStream([], { ...base, encryptionContext: { k: "\uD800" } })],
    ["a context over 8192 bytes", () => encryptStream([], { ...base, encryptionContext: { k: "v".repeat(8190) } })],
    ["a bare buffer as source", () => encryptStream(Buffer.from("x") as unknown as Uint8Array[], base)],
    ["no clientFor", () => decryptStream([], {} as DecryptOptions)],
  ];
  for (const [what, call] of bad) {
    const error = (() => {
      try {
        call();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    t.true(error instanceof EnvelopeError && error.code === "InvalidArgument", what);
  }
  t.is(await codeOf(collect(encryptStream(["not bytes"] as unknown as Uint8Array[], base))), "InvalidArgument", "a piece that is not bytes");
  t.is(await codeOf(collect(encryptStream([Buffer.alloc(10)], { ...base, plaintextLength: 9 }))), "InvalidArgument", "longer than declared");
  t.is(await codeOf(collect(encryptStream([Buffer.alloc(10)], { ...base, plaintextLength: 11 }))), "InvalidArgument", "shorter than declared");
  // The header (and so the data key) comes before the source is read; these three reached KMS.
  t.is(client.calls.GenerateDataKey, 3);
});

test("a consumer that stops early closes the source and the encryptor stops", async (t) => {
  let closed = false;
  async function* endless(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) yield randomBytes(4096);
    } finally {
      closed = true;
    }
  }
  let parts = 0;
  for await (const part of encryptStream(endless(), { keys: [{ keyId: US, client: kms }], chunkSize: CHUNK })) {
    t.truthy(part.length);
    if (++parts === 3) break;
  }
  t.true(closed);
});

// ---------------------------------------------------------------------------------------------
// The data key cache

test("the data key cache reuses a data key within maxMessages, per keys and context, with a fresh message id each time", async (t) => {
  const client = newKms();
  const cache = createDataKeyCache({ maxAgeMs: 60_000, maxMessages: 3, maxBytes: 1 << 20, maxEntries: 10 });
  const options: EncryptOptions = { keys: keys(client), encryptionContext: CONTEXT, dataKeyCache: cache };
  const messages = [];
  for (let i = 0; i < 7; i++) messages.push(await encrypt(Buffer.from(`message ${i}`), options));
  t.is(client.calls.GenerateDataKey, 3, "3 + 3 + 1 messages");
  t.is(client.calls.Encrypt, 3, "the second key wraps each new data key once");
  const headers = messages.map((m) => parseEnvelopeHeader(m).header);
  t.is(new Set(headers.map((h) => Buffer.from(h.messageId).toString("hex"))).size, 7, "every message its own id");
  t.is(new Set(headers.map((h) => Buffer.from(h.commitment).toString("hex"))).size, 7, "so its own derived keys");
  t.is(new Set(headers.map((h) => Buffer.from(h.encryptedDataKeys[0]!.ciphertextBlob).toString("hex"))).size, 3);
  for (const [i, m] of messages.entries()) t.is(Buffer.from((await decrypt(m, { clientFor: () => client })).plaintext).toString(), `message ${i}`);

  // Another context, other keys, or the same key id through another client: other entries.
  await encrypt(Buffer.from("x"), { ...options, encryptionContext: { tenant: "other" } });
  await encrypt(Buffer.from("x"), { ...options, keys: [{ keyId: US, client }] });
  await encrypt(Buffer.from("x"), { ...options, keys: [{ keyId: EU, client }, { keyId: US, client }] });
  const sameKeysOtherClient = fakeKms({});
  Object.assign(sameKeysOtherClient, { generateDataKey: client.generateDataKey, encrypt: client.encrypt });
  await encrypt(Buffer.from("x"), { ...options, keys: keys(sameKeysOtherClient) });
  t.is(client.calls.GenerateDataKey, 7);
  t.is(cache.size, 5);
  cache.clear();
  t.is(cache.size, 0);
});

test("the data key cache honours maxBytes (a message larger than it is never cached)", async (t) => {
  const client = newKms();
  const cache = createDataKeyCache({ maxAgeMs: 60_000, maxMessages: 100, maxBytes: 1000, maxEntries: 10 });
  const options: EncryptOptions = { keys: [{ keyId: US, client }], dataKeyCache: cache };
  for (let i = 0; i < 5; i++) await encrypt(randomBytes(400), options); // 400+400 | 400+400 | 400
  t.is(client.calls.GenerateDataKey, 3);
  await encrypt(randomBytes(1001), options);
  await encrypt(randomBytes(1001), options);
  t.is(client.calls.GenerateDataKey, 5, "each too-large message got a fresh key, not cached");
  await encrypt(randomBytes(600), options);
  t.is(client.calls.GenerateDataKey, 5, "the entry holding 400 bytes was kept: 600 more fit exactly");
  await encrypt(randomBytes(1), options);
  t.is(client.calls.GenerateDataKey, 6, "one more byte does not fit: a fresh key replaces the entry");
  await encrypt(new Uint8Array(0), options);
  t.is(client.calls.GenerateDataKey, 6, "an empty message uses no bytes");
});

test("the data key cache honours maxAgeMs", async (t) => {
  const client = newKms();
  let now = 1_000_000;
  const cache = createDataKeyCache({ maxAgeMs: 1000, maxMessages: 100, maxBytes: 1 << 20, maxEntries: 10, now: () => now });
  const options: EncryptOptions = { keys: [{ keyId: US, client }], dataKeyCache: cache };
  await encrypt(Buffer.from("a"), options);
  now += 999;
  await encrypt(Buffer.from("b"), options);
  t.is(client.calls.GenerateDataKey, 1);
  now += 1;
  await encrypt(Buffer.from("c"), options);
  t.is(client.calls.GenerateDataKey, 2, "expired at maxAgeMs");
  now += 5000;
  await encrypt(Buffer.from("d"), { ...options, encryptionContext: { other: "entry" } });
  t.is(cache.size, 1, "expired entries are dropped on the next use of the cache");
});

test("the data key cache honours maxEntries, dropping the least recently used", async (t) => {
  const client = newKms();
  const cache = createDataKeyCache({ maxAgeMs: 60_000, maxMessages: 100, maxBytes: 1 << 20, maxEntries: 2 });
  const withContext = (n: string) => encrypt(Buffer.from(n), { keys: [{ keyId: US, client }], encryptionContext: { n }, dataKeyCache: cache });
  await withContext("a");
  await withContext("b");
  await withContext("a"); // a is now the most recently used
  await withContext("c"); // evicts b
  t.is(cache.size, 2);
  t.is(client.calls.GenerateDataKey, 3);
  await withContext("a");
  t.is(client.calls.GenerateDataKey, 3, "a was kept");
  await withContext("b");
  t.is(client.calls.GenerateDataKey, 4, "b was evicted");
});

test("streams use the data key cache only with a declared plaintextLength", async (t) => {
  const client = newKms();
  const cache = createDataKeyCache({ maxAgeMs: 60_000, maxMessages: 100, maxBytes: 1 << 20, maxEntries: 10 });
  const options: EncryptOptions = { keys: [{ keyId: US, client }], dataKeyCache: cache };
  await collect(encryptStream([randomBytes(100)], options));
  await collect(encryptStream([randomBytes(100)], options));
  t.is(client.calls.GenerateDataKey, 2, "unknown length: no reuse");
  t.is(cache.size, 0);
  await collect(encryptStream([randomBytes(100)], { ...options, plaintextLength: 100 }));
  await collect(encryptStream([randomBytes(50), randomBytes(50)], { ...options, plaintextLength: 100 }));
  t.is(client.calls.GenerateDataKey, 3);
});

test("data key cache limits are validated", (t) => {
  const ok = { maxAgeMs: 1000, maxMessages: 10, maxBytes: 1000, maxEntries: 10 };
  for (const bad of [{ maxAgeMs: 0 }, { maxAgeMs: Infinity }, { maxMessages: 0 }, { maxMessages: 2 ** 32 + 1 }, { maxMessages: 1.5 }, { maxBytes: -1 }, { maxEntries: 0 }]) {
    const error = t.throws(() => createDataKeyCache({ ...ok, ...bad }));
    t.true(error instanceof EnvelopeError && error.code === "InvalidArgument", JSON.stringify(bad));
  }
});

// ---------------------------------------------------------------------------------------------
// Fuzzing the parser of untrusted bytes

/** A valid header, made once, for mutations. */
const validHeader = (async () => framesOf(await encrypt(Buffer.from("fuzz"), { keys: keys(), encryptionContext: { k: "v", "é": "ü" } })).header)();

type Mutation = { kind: "flip"; at: number; bit: number } | { kind: "set"; at: number; byte: number } | { kind: "truncate"; at: number } | { kind: "insert"; at: number; bytes: Uint8Array } | { kind: "delete"; at: number; n: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
);
function mutate(bytes: Buffer, m: Mutation): Buffer {
  const at = m.at % (bytes.length + 1);
  switch (m.kind) {
    case "flip": {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[at % copy.length]! ^= 1 << m.bit;
      return copy;
    }
    case "set": {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[at % copy.length] = m.byte;
      return copy;
    }
    case "truncate":
      return bytes.subarray(0, at);
    case "insert":
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    case "delete":
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.n)]);
  }
}

/** Runs the parser; "ok" with a consistency check, "refused" for a short EnvelopeError, else what happened. */
function parseOutcome(bytes: Uint8Array): "ok" | "refused" | string {
  let parsed: ReturnType<typeof parseEnvelopeHeader>;
  try {
    parsed = parseEnvelopeHeader(bytes);
  } catch (error) {
    if (error instanceof EnvelopeError && error.message.length <= 120 && error.kmsFailures.length === 0) return "refused";
    return `unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
  // Whatever parses is a faithful reading: re-encoding the fields gives back the same bytes.
  const h = parsed.header;
  const again = Buffer.concat([encodeHeaderBody(h), h.tag]);
  if (!again.equals(Buffer.from(bytes.subarray(0, parsed.length)))) return "unexpected: the parse does not re-encode to its input";
  return "ok";
}

test("fuzz: the header parser on arbitrary bytes gives a faithful parse or a short EnvelopeError, nothing else", async (t) => {
  const header = await validHeader;
  const prefix = fc.constantFrom(Buffer.alloc(0), header.subarray(0, 4), header.subarray(0, 7), header.subarray(0, 39), header.subarray(0, 60));
  let parsed = 0;
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.tuple(prefix, fc.uint8Array({ maxLength: 400 })).map(([p, rest]) => Buffer.concat([p, rest]))), (bytes) => {
      const outcome = parseOutcome(bytes);
      if (outcome === "ok") parsed++;
      else if (outcome !== "refused") throw new Error(outcome);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 64 }), (mutations, tail) => {
      const bytes = Buffer.concat([mutations.reduce(mutate, header), tail]);
      const outcome = parseOutcome(bytes);
      if (outcome === "ok") parsed++;
      else if (outcome !== "refused") throw new Error(outcome);
    }),
    { numRuns: 3000 },
  );
  t.true(parsed > 0, "some mutated headers still parse (tag or blob bytes changed), so the success path is exercised");
});

test("fuzz: length fields at and beyond their bounds are refused without waiting for the bytes they announce", async (t) => {
  const header = await validHeader;
  const h = parseEnvelopeHeader(header).header;
  // The header's fields up to the first ARN: 39 bytes, the context (count, "k"="v", "é"="ü"), the key count.
  const countAt = 39 + 2 + (2 + 1 + 2 + 1) + (2 + 2 + 2 + 2);
  const arnAt = countAt + 1;
  // A header whose first ARN length says 2049: refused from the first 2 bytes of the field.
  t.is(header.readUInt16BE(arnAt), h.encryptedDataKeys[0]!.keyArn.length);
  const long = Buffer.from(header.subarray(0, arnAt + 2));
  long.writeUInt16BE(2049, arnAt);
  t.is(await codeOf(async () => parseEnvelopeHeader(long)), "MalformedHeader");
  long.writeUInt16BE(0, arnAt);
  t.is(await codeOf(async () => parseEnvelopeHeader(long)), "MalformedHeader");
  // A decryptor fed such a header one byte at a time stops at once instead of buffering.
  let pulled = 0;
  function* slow(): Generator<Uint8Array> {
    for (const b of Buffer.concat([long.subarray(0, arnAt), Buffer.of(0xff, 0xff), Buffer.alloc(100_000)])) {
      pulled++;
      yield Buffer.of(b);
    }
  }
  t.is(await codeOf(collect(decryptStream(slow(), decryptOptions))), "MalformedHeader");
  t.is(pulled, arnAt + 2);
  // Chunk sizes out of bounds in an otherwise valid header.
  for (const chunkSize of [0, 1023, 16 * 1024 * 1024 + 1, 0xffffffff]) {
    const body = rebuildHeader(h, { chunkSize });
    t.is(await codeOf(async () => parseEnvelopeHeader(Buffer.concat([body, h.tag]))), "MalformedHeader", `chunk size ${chunkSize}`);
  }
  // More than 16 data keys, or none.
  for (const count of [0, 17, 255]) {
    const bytes = Buffer.from(header);
    bytes[countAt] = count;
    t.is(await codeOf(async () => parseEnvelopeHeader(bytes)), "MalformedHeader", `${count} data keys`);
  }
});

test("fuzz: contexts that are not canonical (unsorted, duplicate keys, empty key, bad UTF-8) are refused", async (t) => {
  const header = await validHeader;
  const contextEnd = regionsOf(header).find(([region]) => region === "encryption context")![2];
  const rest = header.subarray(contextEnd);
  const withContext = (pairs: Array<[Buffer, Buffer]>) => {
    const parts: Buffer[] = [header.subarray(0, 39), Buffer.from([0, pairs.length])];
    for (const [k, v] of pairs) parts.push(Buffer.from([k.length >> 8, k.length & 255]), k, Buffer.from([v.length >> 8, v.length & 255]), v);
    return Buffer.concat([...parts, rest]);
  };
  const b = (s: string) => Buffer.from(s, "utf8");
  t.is(parseOutcome(withContext([[b("a"), b("1")], [b("b"), b("2")]])), "ok", "the control parses");
  for (const [what, pairs] of [
    ["unsorted", [[b("b"), b("2")], [b("a"), b("1")]]],
    ["a duplicate key", [[b("a"), b("1")], [b("a"), b("2")]]],
    ["an empty key", [[b(""), b("1")]]],
    ["invalid UTF-8 in a key", [[Buffer.of(0xc3), b("1")]]],
    ["a surrogate encoded in UTF-8", [[b("a"), Buffer.of(0xed, 0xa0, 0x80)]]],
    ["over 8192 bytes", [[b("a"), Buffer.alloc(8190, 0x61)]]],
  ] as Array<[string, Array<[Buffer, Buffer]>]>) {
    t.is(await codeOf(async () => parseEnvelopeHeader(withContext(pairs))), "MalformedHeader", what);
  }
});

test("fuzz: any mutation of a whole message is refused with an EnvelopeError by decrypt and decryptStream", async (t) => {
  const plaintext = randomBytes(2 * CHUNK + 100);
  const message = Buffer.from(await encrypt(plaintext, encryptOptions));
  let mutated = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3000 }), async (mutations, pieceSize) => {
      const tampered = mutations.reduce(mutate, message);
      if (tampered.equals(message)) return;
      mutated++;
      try {
        const { released, code } = await streamDecrypt(tampered, decryptOptions, pieceSize);
        if (code === "ok") throw new Error("a mutated message decrypted");
        if (!plaintext.subarray(0, released.length).equals(released)) throw new Error("released bytes that are not the plaintext");
        await codeOf(decrypt(tampered, decryptOptions));
      } catch (error) {
        t.log(String(error));
        throw error;
      }
    }),
    { numRuns: 400 },
  );
  let garbage = 0;
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
      await codeOf(decrypt(bytes, decryptOptions));
      garbage++;
    }),
    { numRuns: 500 },
  );
  t.true(mutated > 300, `${mutated} of 400 mutations changed the message and were refused`);
  t.is(garbage, 500, "every random byte string was refused");
});

test("fuzz: round trip for any plaintext, chunk size and split of the source", async (t) => {
  let roundTrips = 0;
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1024, max: 2100 }), fc.integer({ min: 1, max: 3000 }), async (plaintext, chunkSize, pieceSize) => {
      const message = await collect(encryptStream(piecesOf(plaintext, pieceSize), { keys: [{ keyId: US, client: kms }], chunkSize }));
      const back = await collect(decryptStream(piecesOf(message, pieceSize), decryptOptions));
      if (!back.equals(plaintext)) throw new Error("the round trip changed the plaintext");
      roundTrips++;
    }),
    { numRuns: 150 },
  );
  t.is(roundTrips, 150);
});

// ---------------------------------------------------------------------------------------------
// The fixture: a message encrypted by an earlier build must keep decrypting

interface Fixture {
  message: string;
  fakeKmsKeys: Record<string, string>;
  encryptionContext: Record<string, string>;
  chunkSize: number;
  plaintextText: string;
  plaintextSha256: string;
}

async function loadFixture(t: ExecutionContext): Promise<{ fixture: Fixture; message: Buffer; client: FakeKms }> {
  const dir = new URL("fixtures/envelope/", import.meta.url);
  const fixture = JSON.parse(await readFile(new URL("v1-two-keys.json", dir), "utf8")) as Fixture;
  const message = await readFile(new URL(fixture.message, dir));
  const client = fakeKms(Object.fromEntries(Object.entries(fixture.fakeKmsKeys).map(([arn, hex]) => [arn, Buffer.from(hex, "hex")])));
  t.is(Object.keys(fixture.fakeKmsKeys).length, 2);
  return { fixture, message, client };
}

test("fixture: the v1 message of test/fixtures/envelope decrypts, with either key alone", async (t) => {
  const { fixture, message, client } = await loadFixture(t);
  const [us, eu] = Object.keys(fixture.fakeKmsKeys) as [string, string];
  for (const arn of [us, eu]) {
    const result = await decrypt(message, { clientFor: (a) => (a === arn ? client : undefined), encryptionContext: { tenant: "acme" } });
    t.is(sha256(result.plaintext), fixture.plaintextSha256);
    t.is(Buffer.from(result.plaintext).toString("utf8"), fixture.plaintextText);
    t.deepEqual(result.encryptionContext, fixture.encryptionContext);
    t.is(result.keyArn, arn);
    t.is(result.chunkSize, fixture.chunkSize);
  }
  const streamed = await collect(decryptStream(piecesOf(message, 100), { clientFor: () => client }));
  t.is(sha256(streamed), fixture.plaintextSha256);
  const { header, frames } = framesOf(message);
  t.deepEqual([...header.subarray(0, 7)], [0x4b, 0x4d, 0x53, 0x45, 1, 0, 1]);
  t.deepEqual(parseEnvelopeHeader(message).header.encryptedDataKeys.map((k) => k.keyArn), [us, eu]);
  t.deepEqual(frames.map((f) => [f[0], f.readUInt32BE(1)]), [
    [0, 1024],
    [0, 1024],
    [1, 452],
  ]);
});

test("fixture: the same fixture with any byte changed does not decrypt", async (t) => {
  const { message, client } = await loadFixture(t);
  const codes = new Set<string>();
  let refused = 0;
  for (let at = 0; at < message.length; at += 11) {
    const tampered = Buffer.from(message);
    tampered[at]! ^= 0x01;
    codes.add(await codeOf(decrypt(tampered, { clientFor: () => client })));
    refused++;
  }
  t.is(refused, Math.ceil(message.length / 11), "every changed byte was refused");
  t.true(codes.size >= 2, `header and chunk changes are refused for their own reasons: ${[...codes].join(", ")}`);
});
