import test from "ava";
import fc from "fast-check";
import { createECDH, createPublicKey, createVerify, ECDH, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { sealChunk } from "../client/envelope/chunk.js";
import { encodeHeaderBody, PUBLIC_KEY_CONTEXT_KEY, SUITE_AES256_GCM_HKDF_SHA256_COMMIT, SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384 } from "../client/envelope/header.js";
import { createDataKeyCache, decrypt, decryptStream, encrypt, encryptStream, EnvelopeError, parseEnvelopeHeader, type DecryptOptions, type EncryptOptions } from "../client/envelope/index.js";
import { deriveMessageKeys, headerTag } from "../client/envelope/key-schedule.js";
import { fakeKms } from "./fixtures/envelope/fake-kms.js";

// The signed suite (0x0002, docs/envelope-format.md): the same format as 0x0001 plus an ECDSA
// P-384 signature by a key made for the message, whose public key KMS binds to the data key.

const US = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111";
const CHUNK = 1024;
const CONTEXT = { tenant: "acme" };
const kms = fakeKms({ [US]: randomBytes(32) });
const signed: EncryptOptions = { keys: [{ keyId: US, client: kms }], encryptionContext: CONTEXT, chunkSize: CHUNK, sign: true };
const reader: DecryptOptions = { clientFor: () => kms };

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof EnvelopeError) return error.code;
    throw error;
  }
  throw new Error("expected an EnvelopeError, but the call succeeded");
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; code: string }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const part of stream) parts.push(Buffer.from(part));
    return { bytes: Buffer.concat(parts), code: "ok" };
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    return { bytes: Buffer.concat(parts), code: error.code };
  }
}

/** A signed message's parts by the documented framing: header, chunk frames, footer. */
function partsOf(message: Buffer) {
  const { header, length } = parseEnvelopeHeader(message);
  let at = length;
  for (;;) {
    const final = message[at] === 1;
    at += 5 + message.readUInt32BE(at + 1) + 16;
    if (final) break;
  }
  return { header, headerLength: length, bodyEnd: at, signature: message.subarray(at + 2, at + 2 + message.readUInt16BE(at)) };
}

test("a signed message round-trips at every size, in buffer and stream forms, and says it is signed", async (t) => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 4 * CHUNK + 7]) {
    const plaintext = randomBytes(size);
    const message = Buffer.from(await encrypt(plaintext, signed));
    const result = await decrypt(message, { ...reader, requireSignature: true });
    t.deepEqual(Buffer.from(result.plaintext), plaintext, `${size} bytes`);
    t.true(result.signed);
    const pieces = Array.from({ length: Math.ceil(message.length / 333) }, (_, i) => message.subarray(i * 333, (i + 1) * 333));
    t.deepEqual((await collect(decryptStream(pieces, reader))).bytes, plaintext);
    const streamed = await collect(encryptStream([plaintext], signed));
    t.deepEqual(Buffer.from((await decrypt(streamed.bytes, reader)).plaintext), plaintext, "the stream form writes a message as valid");
  }
  t.false((await decrypt(await encrypt(Buffer.from("x"), { ...signed, sign: false }), reader)).signed);
});

test("the signature is plain ECDSA P-384 / SHA-384 over every byte before it, by the key in the context (checked with node:crypto alone)", async (t) => {
  const message = Buffer.from(await encrypt(randomBytes(2 * CHUNK + 5), signed));
  const { header, bodyEnd, signature } = partsOf(message);
  t.is(header.suiteId, SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384);
  t.is(message.length, bodyEnd + 2 + signature.length, "the footer ends the message");
  const compressed = Buffer.from(header.encryptionContext[PUBLIC_KEY_CONTEXT_KEY]!, "base64");
  t.is(compressed.length, 49);
  const point = ECDH.convertKey(compressed, "secp384r1", undefined, undefined, "uncompressed") as Buffer;
  const x = point.subarray(1, 49).toString("base64url");
  const y = point.subarray(49).toString("base64url");
  const key = createPublicKey({ key: { kty: "EC", crv: "P-384", x, y }, format: "jwk" });
  t.true(createVerify("sha384").update(message.subarray(0, bodyEnd)).verify(key, signature));
  t.is(header.encryptionContext.tenant, "acme", "the caller's pairs are there too");
});

test("a reader who holds the data key cannot write a signed message, nor pass the data key off in an unsigned one", async (t) => {
  const original = Buffer.from(await encrypt(Buffer.from("pay 10 to alice"), signed));
  const { header: h, bodyEnd } = partsOf(original);
  // The reader decrypts the data key, as any reader can.
  const dataKey = Buffer.from((await kms.decrypt({ ciphertextBlob: h.encryptedDataKeys[0]!.ciphertextBlob, encryptionContext: h.encryptionContext })).plaintext);
  const forgedBody = (suiteId: number, context: Record<string, string>) => {
    const keys = deriveMessageKeys(dataKey, h.messageId, suiteId);
    const body = encodeHeaderBody({ suiteId, messageId: h.messageId, encryptionContext: context, encryptedDataKeys: h.encryptedDataKeys, chunkSize: h.chunkSize, commitment: keys.commitment });
    return Buffer.concat([body, headerTag(keys.headerKey, body), ...sealChunk(keys.chunkKey, h.messageId, 0, true, Buffer.from("pay 10000 to mallory"))]);
  };
  // Same header, other chunks: every byte authenticates under the data key, but the old signature does not fit.
  const resigned = Buffer.concat([forgedBody(SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384, h.encryptionContext), original.subarray(bodyEnd)]);
  t.is(await codeOf(decrypt(resigned, reader)), "SignatureInvalid");
  // Its own key pair in the context: KMS no longer opens the data key, bound to the original context.
  const otherKey = createECDH("secp384r1").generateKeys("base64", "compressed");
  t.is(await codeOf(decrypt(forgedBody(SUITE_AES256_GCM_HKDF_SHA256_COMMIT_ECDSA_P384, { ...h.encryptionContext, [PUBLIC_KEY_CONTEXT_KEY]: otherKey }), reader)), "DataKeyUnavailable");
  // Downgraded to the unsigned suite with the same context: refused by the header's own rule.
  t.is(await codeOf(decrypt(forgedBody(SUITE_AES256_GCM_HKDF_SHA256_COMMIT, h.encryptionContext), reader)), "MalformedHeader");
  // Unsigned with the key dropped from the context: KMS refuses the data key.
  const { [PUBLIC_KEY_CONTEXT_KEY]: _dropped, ...withoutKey } = h.encryptionContext;
  t.is(await codeOf(decrypt(forgedBody(SUITE_AES256_GCM_HKDF_SHA256_COMMIT, withoutKey), reader)), "DataKeyUnavailable");
});

test("a chunk forged with the data key before the final one: decrypt refuses the message; the stream ends in SignatureInvalid after that chunk", async (t) => {
  const plaintext = randomBytes(2 * CHUNK + 10);
  const message = Buffer.from(await encrypt(plaintext, signed));
  const h = parseEnvelopeHeader(message).header;
  const dataKey = Buffer.from((await kms.decrypt({ ciphertextBlob: h.encryptedDataKeys[0]!.ciphertextBlob, encryptionContext: h.encryptionContext })).plaintext);
  const keys = deriveMessageKeys(dataKey, h.messageId, h.suiteId);
  const headerLength = parseEnvelopeHeader(message).length;
  const firstFrameEnd = headerLength + 5 + CHUNK + 16;
  const forgedChunk = Buffer.concat(sealChunk(keys.chunkKey, h.messageId, 0, false, Buffer.alloc(CHUNK, 0x41)));
  const forged = Buffer.concat([message.subarray(0, headerLength), forgedChunk, message.subarray(firstFrameEnd)]);
  t.is(await codeOf(decrypt(forged, { ...reader, requireSignature: true })), "SignatureInvalid", "decrypt releases nothing");
  const streamed = await collect(decryptStream([forged], { ...reader, requireSignature: true }));
  t.is(streamed.code, "SignatureInvalid", "the stream fails at its end, as documented");
});

test("requireSignature and sign must be booleans; the verification key counts towards the context's size, checked before KMS", async (t) => {
  t.is(await codeOf(decrypt(await encrypt(Buffer.from("x"), { ...signed, sign: false }), { ...reader, requireSignature: "true" as unknown as boolean })), "InvalidArgument");
  const own = fakeKms({ [US]: randomBytes(32) });
  // Just under the limit alone (8192 bytes encoded), over it with the key added.
  const big = { pad: "x".repeat(8192 - 2 - 4 - 3 - 40) };
  await encrypt(Buffer.from("x"), { keys: [{ keyId: US, client: own }], encryptionContext: big });
  t.is(await codeOf(encrypt(Buffer.from("x"), { keys: [{ keyId: US, client: own }], encryptionContext: big, sign: true })), "InvalidArgument");
  t.is(own.calls.GenerateDataKey, 1, "only the unsigned message asked KMS");
});

test("requireSignature refuses an unsigned message before any KMS call", async (t) => {
  const own = fakeKms({ [US]: randomBytes(32) }); // its own call counts: tests run at once
  const unsigned = await encrypt(Buffer.from("x"), { ...signed, keys: [{ keyId: US, client: own }], sign: false });
  t.is(await codeOf(decrypt(unsigned, { clientFor: () => own, requireSignature: true })), "SignatureRequired");
  t.is(own.calls.Decrypt, 0);
});

test("footer damage: a changed, cut, missing or extended signature is refused, and the final chunk is not released", async (t) => {
  const plaintext = randomBytes(2 * CHUNK + 10);
  const message = Buffer.from(await encrypt(plaintext, signed));
  const { bodyEnd } = partsOf(message);
  const lastChunkStart = 2 * CHUNK;
  for (let at = bodyEnd; at < message.length; at++) {
    const flipped = Buffer.from(message);
    flipped[at]! ^= 0x01;
    const { bytes, code } = await collect(decryptStream([flipped], reader));
    t.true(code === "SignatureInvalid" || code === "Truncated", `byte ${at}: ${code}`);
    t.true(bytes.length <= lastChunkStart, "the final chunk waits for the signature");
  }
  t.is(await codeOf(decrypt(message.subarray(0, bodyEnd), reader)), "Truncated");
  t.is(await codeOf(decrypt(message.subarray(0, message.length - 1), reader)), "Truncated");
  t.is(await codeOf(decrypt(Buffer.concat([message, Buffer.of(0)]), reader)), "TrailingData");
  const zeroLength = Buffer.concat([message.subarray(0, bodyEnd), Buffer.of(0, 0)]);
  t.is(await codeOf(decrypt(zeroLength, reader)), "SignatureInvalid");
});

test("options: the reserved context key is refused, a signed message bypasses the data key cache, sign must be a boolean", async (t) => {
  t.is(await codeOf(encrypt(Buffer.from("x"), { ...signed, encryptionContext: { [PUBLIC_KEY_CONTEXT_KEY]: "mine" } })), "InvalidArgument");
  t.is(await codeOf(encrypt(Buffer.from("x"), { ...signed, sign: "yes" as unknown as boolean })), "InvalidArgument");
  const cache = createDataKeyCache({ maxEntries: 10, maxMessages: 100, maxBytes: 1 << 20, maxAgeMs: 60_000 });
  const own = fakeKms({ [US]: randomBytes(32) });
  for (let i = 0; i < 3; i++) await encrypt(Buffer.from("x"), { ...signed, keys: [{ keyId: US, client: own }], dataKeyCache: cache });
  t.is(own.calls.GenerateDataKey, 3, "one data key per signed message");
});

test("fuzz: any mutation of a signed message is refused, and only plaintext bytes are ever released", async (t) => {
  const plaintext = randomBytes(2 * CHUNK + 100);
  const message = Buffer.from(await encrypt(plaintext, signed));
  let mutated = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: message.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 3000 }), async (at, xor, pieceSize) => {
      const tampered = Buffer.from(message);
      tampered[at]! ^= xor;
      mutated++;
      const pieces = Array.from({ length: Math.ceil(tampered.length / pieceSize) }, (_, i) => tampered.subarray(i * pieceSize, (i + 1) * pieceSize));
      const { bytes, code } = await collect(decryptStream(pieces, reader));
      if (code === "ok") throw new Error(`a message changed at byte ${at} decrypted`);
      if (!plaintext.subarray(0, bytes.length).equals(bytes)) throw new Error("released bytes that are not the plaintext");
    }),
    { numRuns: 300 },
  );
  t.is(mutated, 300);
});

test("fixture: the signed v1 message of test/fixtures/envelope decrypts with its signature required; any changed byte does not", async (t) => {
  const dir = new URL("fixtures/envelope/", import.meta.url);
  const fixture = JSON.parse(await readFile(new URL("v1-signed-two-keys.json", dir), "utf8")) as { message: string; fakeKmsKeys: Record<string, string>; plaintextText: string };
  const message = await readFile(new URL(fixture.message, dir));
  const client = fakeKms(Object.fromEntries(Object.entries(fixture.fakeKmsKeys).map(([arn, hex]) => [arn, Buffer.from(hex, "hex")])));
  const result = await decrypt(message, { clientFor: () => client, requireSignature: true, encryptionContext: { tenant: "acme" } });
  t.is(Buffer.from(result.plaintext).toString("utf8"), fixture.plaintextText);
  t.true(result.signed);
  t.deepEqual([...message.subarray(0, 7)], [0x4b, 0x4d, 0x53, 0x45, 1, 0, 2]);
  const codes = new Set<string>();
  for (let at = 0; at < message.length; at += 13) {
    const tampered = Buffer.from(message);
    tampered[at]! ^= 0x01;
    codes.add(await codeOf(decrypt(tampered, { clientFor: () => client })));
  }
  t.true(codes.has("SignatureInvalid") && codes.size >= 3, [...codes].join(", "));
});
