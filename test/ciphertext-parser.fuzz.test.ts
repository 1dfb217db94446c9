import test from "ava";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { GCM_IV_BYTES, GCM_TAG_BYTES } from "../server/crypto/aes-gcm.js";
import { parseCiphertextBlob } from "../server/crypto/ciphertext-blob.js";
import type { EncryptionContext } from "../server/crypto/encryption-context.js";
import { decryptSymmetric, encryptSymmetric, type SymmetricKeyVersion } from "../server/crypto/symmetric-encryption.js";
import { KmsError } from "../server/errors/kms-error.js";

const KEY: SymmetricKeyVersion = { keyId: "1234abcd-12ab-34cd-56ef-1234567890ab", version: 1, material: randomBytes(32) };

/** Runs `f` and reports how it ended: "ok", "invalid" (KmsError InvalidCiphertextException) or a description of anything else. */
function outcome(f: () => unknown): "ok" | "invalid" | string {
  try {
    f();
    return "ok";
  } catch (error) {
    if (error instanceof KmsError && error.exception === "InvalidCiphertextException") return "invalid";
    return `unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

function decrypt(blob: Uint8Array, context: EncryptionContext): Buffer {
  return decryptSymmetric(KEY, parseCiphertextBlob(blob), context);
}

/** Strings of any Unicode scalar values (fast-check's "binary" unit never yields lone surrogates). */
const anyString = fc.string({ unit: "binary", maxLength: 24 });
/** Encryption contexts, including null-prototype objects and keys such as "__proto__". */
const anyContext = fc.dictionary(anyString, anyString, { maxKeys: 6 });

/** Whether two contexts hold exactly the same pairs (the oracle does not use the encoder under test). */
function sameContext(a: EncryptionContext, b: EncryptionContext): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

// Arbitrary bytes rarely start like a blob, so half the inputs are "nearly valid": a format byte
// (mostly 1), an id length (sometimes off by up to 2), id-like characters, a key version (0, 1, 2 or
// 2^32-1), then random bytes, which exercises the later checks.
const idChars = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(..."0123456789abcdefz-".split("")) },
  { weight: 1, arbitrary: fc.constantFrom(..."A_\u00ff\n\u0000".split("")) },
);
const nearlyValidBlob = fc
  .tuple(
    fc.constantFrom(0, 1, 1, 1, 2, 255),
    fc.array(idChars, { minLength: 0, maxLength: 40 }),
    fc.integer({ min: -2, max: 2 }),
    fc.constantFrom(0, 1, 2, 0xffffffff),
    fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.uint8Array({ minLength: 28, maxLength: 80 })),
  )
  .map(([version, id, lengthSkew, keyVersion, rest]) => {
    const idBytes = Buffer.from(id.join(""), "latin1");
    const length = Math.max(0, Math.min(255, idBytes.length + lengthSkew));
    const keyVersionBytes = Buffer.alloc(4);
    keyVersionBytes.writeUInt32BE(keyVersion);
    return new Uint8Array(Buffer.concat([Buffer.from([version, length]), idBytes, keyVersionBytes, Buffer.from(rest)]));
  });

test("(a) parseCiphertextBlob on arbitrary bytes returns a consistent parse or throws InvalidCiphertextException, nothing else", (t) => {
  let parsedCount = 0;
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 300 }), nearlyValidBlob), (bytes) => {
      let parsed: ReturnType<typeof parseCiphertextBlob>;
      try {
        parsed = parseCiphertextBlob(bytes);
      } catch (error) {
        if (!(error instanceof KmsError)) throw new Error(`threw a non-KmsError: ${String(error)}`);
        if (error.exception !== "InvalidCiphertextException") throw new Error(`threw ${error.exception}`);
        return;
      }
      parsedCount++;
      // Whatever parses must be a faithful split of the input.
      if (bytes[0] !== 1) throw new Error("parsed a blob whose version byte is not 1");
      if (!/^[0-9a-z-]{1,255}$/.test(parsed.keyId)) throw new Error(`parsed a bad key id ${JSON.stringify(parsed.keyId)}`);
      if (parsed.keyVersion < 1) throw new Error("parsed key version 0");
      if (parsed.iv.length !== GCM_IV_BYTES || parsed.tag.length !== GCM_TAG_BYTES || parsed.ciphertext.length < 1) throw new Error("bad part lengths");
      const rejoined = Buffer.concat([parsed.header, parsed.iv, parsed.ciphertext, parsed.tag]);
      if (!rejoined.equals(Buffer.from(bytes))) throw new Error("the parts do not rejoin to the input");
      if (parsed.header.length !== 2 + parsed.keyId.length + 4) throw new Error("header length disagrees with the key id");
    }),
    { numRuns: 1000 },
  );
  t.true(parsedCount > 0, "some generated inputs parsed (the generator reaches the success path)");
});

type Mutation = { kind: "flip"; at: number; bit: number } | { kind: "truncate"; at: number } | { kind: "append"; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), byte: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(blob: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case "flip": {
      const copy = Buffer.from(blob);
      const i = m.at % copy.length;
      copy[i] = copy[i]! ^ (1 << m.bit);
      return copy;
    }
    case "truncate":
      return Buffer.from(blob.subarray(0, m.at % blob.length));
    case "append":
      return Buffer.concat([blob, Buffer.from([m.byte])]);
  }
}

test("(b) a valid blob with any single-bit flip, truncation or appended byte never decrypts", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), anyContext, mutation, (plaintext, context, m) => {
      const blob = encryptSymmetric(KEY, plaintext, context);
      if (outcome(() => decrypt(blob, context)) !== "ok") throw new Error("the unaltered blob does not decrypt");
      const result = outcome(() => decrypt(mutate(blob, m), context));
      if (result !== "invalid") throw new Error(`${m.kind} gave ${result}`);
    }),
    { numRuns: 1000 },
  );
  t.is(outcome(() => decrypt(mutate(encryptSymmetric(KEY, Buffer.from("x"), {}), { kind: "append", byte: 0 }), {})), "invalid");
});

test("(b) every single-bit flip of one blob is refused (exhaustive over its bits)", (t) => {
  const blob = encryptSymmetric(KEY, Buffer.from("exhaustive"), { a: "b" });
  const results = new Set<string>();
  for (let at = 0; at < blob.length; at++) {
    for (let bit = 0; bit < 8; bit++) results.add(outcome(() => decrypt(mutate(blob, { kind: "flip", at, bit }), { a: "b" })));
  }
  for (let at = 0; at < blob.length; at++) results.add(outcome(() => decrypt(mutate(blob, { kind: "truncate", at }), { a: "b" })));
  t.deepEqual([...results], ["invalid"]);
});

test("(c) a different encryption context never decrypts", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), anyContext, anyContext, (plaintext, original, other) => {
      fc.pre(!sameContext(original, other));
      const blob = encryptSymmetric(KEY, plaintext, original);
      const result = outcome(() => decrypt(blob, other));
      if (result !== "invalid") throw new Error(`decrypting with another context gave ${result}`);
    }),
    { numRuns: 500 },
  );
  t.is(outcome(() => decrypt(encryptSymmetric(KEY, Buffer.from("x"), { a: "1" }), { a: "2" })), "invalid");
});

type ContextEdit = { kind: "drop"; at: number } | { kind: "add"; key: string; value: string } | { kind: "change"; at: number; suffix: string } | { kind: "recase"; at: number };

test("(c) near misses of the context (a pair dropped, added, changed, or a key's case changed) never decrypt", (t) => {
  const edit: fc.Arbitrary<ContextEdit> = fc.oneof(
    fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("add" as const), key: anyString, value: anyString }),
    fc.record({ kind: fc.constant("change" as const), at: fc.nat(), suffix: fc.string({ unit: "binary", minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant("recase" as const), at: fc.nat() }),
  );
  const latinKey = fc.string({ unit: fc.constantFrom(..."abcXYZ_:é".split("")), minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(fc.dictionary(latinKey, anyString, { minKeys: 1, maxKeys: 5 }), edit, (original, e) => {
      const entries = Object.entries(original);
      const other: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of entries) other[k] = v;
      const [key, value] = entries[(e.kind === "add" ? 0 : e.at) % entries.length]!;
      if (e.kind === "drop") delete other[key];
      if (e.kind === "add") other[e.key] = e.value;
      if (e.kind === "change") other[key] = value + e.suffix;
      if (e.kind === "recase") {
        const swapped = key === key.toUpperCase() ? key.toLowerCase() : key.toUpperCase();
        delete other[key];
        other[swapped] = value;
      }
      fc.pre(!sameContext(original, other));
      const blob = encryptSymmetric(KEY, Buffer.from("near miss"), original);
      const result = outcome(() => decrypt(blob, other));
      if (result !== "invalid") throw new Error(`${e.kind} gave ${result}`);
    }),
    { numRuns: 500 },
  );
  t.is(outcome(() => decrypt(encryptSymmetric(KEY, Buffer.from("x"), { Purpose: "a" }), { purpose: "a" })), "invalid");
});

test("(d) round trip for any plaintext of 1-4096 bytes and any context, in any key order", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 4096 }), anyContext, (plaintext, context) => {
      const blob = encryptSymmetric(KEY, plaintext, context);
      if (blob.length !== 2 + KEY.keyId.length + 4 + GCM_IV_BYTES + plaintext.length + GCM_TAG_BYTES) throw new Error(`unexpected blob length ${blob.length}`);
      if (!decrypt(blob, context).equals(Buffer.from(plaintext))) throw new Error("round trip changed the plaintext");
      const reversed: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of Object.entries(context).reverse()) reversed[k] = v;
      if (!decrypt(blob, reversed).equals(Buffer.from(plaintext))) throw new Error("the same pairs in another order did not decrypt");
    }),
    { numRuns: 300 },
  );
  t.is(decrypt(encryptSymmetric(KEY, Buffer.from("rt"), { k: "v" }), { k: "v" }).toString(), "rt");
});
