import test from "ava";
import { createCipheriv } from "node:crypto";
import { GCM_IV_BYTES, GCM_TAG_BYTES, openAesGcm, sealAesGcm, type Sealed } from "../server/crypto/aes-gcm.js";
import { encodeBlobHeader, encodeCiphertextBlob, parseCiphertextBlob } from "../server/crypto/ciphertext-blob.js";
import { encodeEncryptionContext } from "../server/crypto/encryption-context.js";
import { unwrapKeyMaterial, wrapKeyMaterial } from "../server/crypto/key-wrapping.js";
import { decryptSymmetric, encryptSymmetric } from "../server/crypto/symmetric-encryption.js";
import { KmsError } from "../server/errors/kms-error.js";

const hex = (s: string): Buffer => Buffer.from(s, "hex");
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");

/** A copy of bytes with bit `bit` of byte `index` inverted. */
function flipBit(bytes: Uint8Array, index: number, bit = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ (1 << bit);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// AES-256-GCM known answers: McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)",
// test cases 13, 14 and 16 (the AES-256 cases). The values of case 16 were written down from the
// spec and then checked against node:crypto's createCipheriv (see the "reference" test below),
// which agrees with them byte for byte.
// ---------------------------------------------------------------------------------------------

const ZERO_KEY_256 = Buffer.alloc(32);
const ZERO_IV = Buffer.alloc(12);

test("AES-256-GCM test case 13: empty plaintext, no AAD", (t) => {
  const sealed = sealAesGcm(ZERO_KEY_256, new Uint8Array(0), new Uint8Array(0), ZERO_IV);
  t.is(toHex(sealed.iv), "000000000000000000000000");
  t.is(sealed.ciphertext.length, 0);
  t.is(toHex(sealed.tag), "530f8afbc74536b9a963b4f1c4cb738b");
  const opened = openAesGcm(ZERO_KEY_256, sealed, new Uint8Array(0));
  t.truthy(opened);
  t.is(opened!.length, 0);
});

test("AES-256-GCM test case 14: 16 zero bytes, no AAD", (t) => {
  const sealed = sealAesGcm(ZERO_KEY_256, Buffer.alloc(16), new Uint8Array(0), ZERO_IV);
  t.is(toHex(sealed.ciphertext), "cea7403d4d606b6e074ec5d3baf39d18");
  t.is(toHex(sealed.tag), "d0d1c8a799996bf0265b98b5d48ab919");
  t.deepEqual(openAesGcm(ZERO_KEY_256, sealed, new Uint8Array(0)), Buffer.alloc(16));
});

const TC16 = {
  key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
  iv: "cafebabefacedbaddecaf888",
  plaintext:
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
  ciphertext:
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
  tag: "76fc6ece0f4e1768cddf8853bb2d551b",
} as const;

test("AES-256-GCM test case 16: 60-byte plaintext with 20 bytes of AAD", (t) => {
  const sealed = sealAesGcm(hex(TC16.key), hex(TC16.plaintext), hex(TC16.aad), hex(TC16.iv));
  t.is(toHex(sealed.ciphertext), TC16.ciphertext);
  t.is(toHex(sealed.tag), TC16.tag);
  t.is(toHex(openAesGcm(hex(TC16.key), sealed, hex(TC16.aad))!), TC16.plaintext);
});

test("AES-256-GCM test case 16 agrees with node:crypto used directly (reference for the vector)", (t) => {
  const cipher = createCipheriv("aes-256-gcm", hex(TC16.key), hex(TC16.iv), { authTagLength: 16 });
  cipher.setAAD(hex(TC16.aad));
  const ciphertext = Buffer.concat([cipher.update(hex(TC16.plaintext)), cipher.final()]);
  t.is(toHex(ciphertext), TC16.ciphertext);
  t.is(toHex(cipher.getAuthTag()), TC16.tag);
});

test("sealAesGcm draws a fresh 12-byte IV when none is given, and tags are 16 bytes", (t) => {
  const a = sealAesGcm(ZERO_KEY_256, utf8("same"), new Uint8Array(0));
  const b = sealAesGcm(ZERO_KEY_256, utf8("same"), new Uint8Array(0));
  t.is(a.iv.length, GCM_IV_BYTES);
  t.is(a.tag.length, GCM_TAG_BYTES);
  t.notDeepEqual(Buffer.from(a.iv), Buffer.from(b.iv));
  t.notDeepEqual(Buffer.from(a.ciphertext), Buffer.from(b.ciphertext));
});

test("openAesGcm returns undefined when a bit of the tag, ciphertext, AAD or IV is flipped, or the key differs", (t) => {
  const key = hex(TC16.key);
  const aad = hex(TC16.aad);
  const sealed: Sealed = { iv: hex(TC16.iv), ciphertext: hex(TC16.ciphertext), tag: hex(TC16.tag) };
  t.truthy(openAesGcm(key, sealed, aad), "the untouched vector opens");
  for (const bit of [0, 7]) {
    t.is(openAesGcm(key, { ...sealed, tag: flipBit(sealed.tag, 0, bit) }, aad), undefined, `tag byte 0 bit ${bit}`);
    t.is(openAesGcm(key, { ...sealed, tag: flipBit(sealed.tag, 15, bit) }, aad), undefined, `tag byte 15 bit ${bit}`);
    t.is(openAesGcm(key, { ...sealed, ciphertext: flipBit(sealed.ciphertext, 0, bit) }, aad), undefined, `ciphertext byte 0 bit ${bit}`);
    t.is(openAesGcm(key, { ...sealed, ciphertext: flipBit(sealed.ciphertext, 59, bit) }, aad), undefined, `ciphertext byte 59 bit ${bit}`);
    t.is(openAesGcm(key, sealed, flipBit(aad, 0, bit)), undefined, `aad byte 0 bit ${bit}`);
    t.is(openAesGcm(key, sealed, flipBit(aad, 19, bit)), undefined, `aad byte 19 bit ${bit}`);
    t.is(openAesGcm(key, { ...sealed, iv: flipBit(sealed.iv, 11, bit) }, aad), undefined, `iv byte 11 bit ${bit}`);
  }
  t.is(openAesGcm(key, sealed, new Uint8Array(0)), undefined, "AAD missing");
  t.is(openAesGcm(flipBit(key, 31), sealed, aad), undefined, "another key");
  t.is(openAesGcm(key, { ...sealed, tag: sealed.tag.subarray(0, 12) }, aad), undefined, "truncated tag");
  t.is(openAesGcm(key, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 59) }, aad), undefined, "truncated ciphertext");
});

// ---------------------------------------------------------------------------------------------
// Encryption context canonical encoding.
// ---------------------------------------------------------------------------------------------

test("encodeEncryptionContext: the empty context is a zero count", (t) => {
  t.is(toHex(encodeEncryptionContext({})), "0000");
});

test("encodeEncryptionContext: pairs are sorted, so insertion order does not matter", (t) => {
  const expected = "0002" + "0001" + "61" + "0001" + "31" + "0001" + "62" + "0001" + "32";
  t.is(toHex(encodeEncryptionContext({ b: "2", a: "1" })), expected);
  t.is(toHex(encodeEncryptionContext({ a: "1", b: "2" })), expected);
});

test("encodeEncryptionContext: lengths are UTF-8 byte lengths, big-endian u16", (t) => {
  // "é" is 2 bytes in UTF-8; a 300-byte value needs the high byte of the length.
  const value = "v".repeat(300);
  t.is(toHex(encodeEncryptionContext({ "é": value })), "0001" + "0002" + "c3a9" + "012c" + "76".repeat(300));
});

test("encodeEncryptionContext: sorts by UTF-8 bytes, not by UTF-16 code units", (t) => {
  // U+FB01 is EF AC 81 in UTF-8 and 0xFB01 in UTF-16; U+1F600 is F0 9F 98 80 in UTF-8 and
  // 0xD83D 0xDE00 in UTF-16. UTF-16 (JS default) order puts U+1F600 first; UTF-8 order puts U+FB01 first.
  const fi = "\uFB01";
  const grin = "\u{1F600}";
  t.true(grin < fi, "precondition: JS string order puts the astral character first");
  const expected = "0002" + "0003" + "efac81" + "0001" + "31" + "0004" + "f09f9880" + "0001" + "32";
  t.is(toHex(encodeEncryptionContext({ [grin]: "2", [fi]: "1" })), expected);
  t.is(toHex(encodeEncryptionContext({ [fi]: "1", [grin]: "2" })), expected);
});

test("encodeEncryptionContext: keys and values are not confused (case and position matter)", (t) => {
  t.not(toHex(encodeEncryptionContext({ a: "b" })), toHex(encodeEncryptionContext({ b: "a" })));
  t.not(toHex(encodeEncryptionContext({ Purpose: "x" })), toHex(encodeEncryptionContext({ purpose: "x" })));
  t.not(toHex(encodeEncryptionContext({ ab: "" })), toHex(encodeEncryptionContext({ a: "b" })));
});

// ---------------------------------------------------------------------------------------------
// Ciphertext blob format v1: pinned bytes.
// ---------------------------------------------------------------------------------------------

const FIXED_KEY_ID = "00000000-0000-4000-8000-000000000000";
const FIXED_MATERIAL = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1)); // 0x01..0x20
const FIXED_IV = hex("000102030405060708090a0b");
const FIXED_CONTEXT = { purpose: "test" };

/**
 * The blob for "hello" under the fixed key, IV and context. Computed once from this code and
 * written down: if the format (header layout, AAD construction, context encoding) ever changes,
 * old ciphertexts stop decrypting and this literal stops matching.
 *   01 | 24 | "00000000-0000-4000-8000-000000000000" | 00000001 | IV | 5 bytes ct | 16 bytes tag
 */
const PINNED_BLOB =
  "01" +
  "24" +
  "30303030303030302d303030302d343030302d383030302d303030303030303030303030" +
  "00000001" +
  "000102030405060708090a0b" +
  "19556dfba7" +
  "951e3e19d60527cce563b7d5245d0962";

function buildFixedBlob(): Buffer {
  const header = encodeBlobHeader(FIXED_KEY_ID, 1);
  // The associated data symmetric-encryption.ts uses: header || canonical context.
  const aad = Buffer.concat([header, encodeEncryptionContext(FIXED_CONTEXT)]);
  const { iv, ciphertext, tag } = sealAesGcm(FIXED_MATERIAL, utf8("hello"), aad, FIXED_IV);
  return encodeCiphertextBlob(header, iv, ciphertext, tag);
}

test("ciphertext blob v1: the header bytes are version, id length, ASCII id, big-endian version", (t) => {
  t.is(toHex(encodeBlobHeader(FIXED_KEY_ID, 1)), "0124" + toHex(Buffer.from(FIXED_KEY_ID, "ascii")) + "00000001");
  t.is(toHex(encodeBlobHeader("abc", 0x01020304)), "0103" + "616263" + "01020304");
});

test("ciphertext blob v1: exact bytes for a fixed key, IV, plaintext and context", (t) => {
  t.is(toHex(buildFixedBlob()), PINNED_BLOB);
});

test("ciphertext blob v1: the pinned blob parses and decrypts to 'hello'", (t) => {
  const parsed = parseCiphertextBlob(hex(PINNED_BLOB));
  t.is(parsed.keyId, FIXED_KEY_ID);
  t.is(parsed.keyVersion, 1);
  t.is(toHex(parsed.header), PINNED_BLOB.slice(0, 2 * (2 + 36 + 4)));
  t.is(toHex(parsed.iv), "000102030405060708090a0b");
  t.is(parsed.ciphertext.length, 5);
  t.is(parsed.tag.length, 16);
  const plaintext = decryptSymmetric({ keyId: FIXED_KEY_ID, version: 1, material: FIXED_MATERIAL }, parsed, FIXED_CONTEXT);
  t.is(plaintext.toString("utf8"), "hello");
});

test("ciphertext blob v1: the pinned blob does not decrypt with another context, key, id or version", (t) => {
  const parsed = parseCiphertextBlob(hex(PINNED_BLOB));
  const key = { keyId: FIXED_KEY_ID, version: 1, material: FIXED_MATERIAL };
  const attempts: Array<[string, () => unknown]> = [
    ["empty context", () => decryptSymmetric(key, parsed, {})],
    ["other value", () => decryptSymmetric(key, parsed, { purpose: "Test" })],
    ["other material", () => decryptSymmetric({ ...key, material: flipBit(FIXED_MATERIAL, 0) }, parsed, FIXED_CONTEXT)],
    ["other key id", () => decryptSymmetric({ ...key, keyId: "00000000-0000-4000-8000-000000000001" }, parsed, FIXED_CONTEXT)],
    ["other version", () => decryptSymmetric({ ...key, version: 2 }, parsed, FIXED_CONTEXT)],
  ];
  for (const [what, attempt] of attempts) {
    const error = t.throws(attempt, { instanceOf: KmsError }, what);
    t.is(error?.exception, "InvalidCiphertextException", what);
  }
});

test("encryptSymmetric makes blobs of the same layout that decryptSymmetric opens", (t) => {
  const key = { keyId: FIXED_KEY_ID, version: 1, material: FIXED_MATERIAL };
  const blob = encryptSymmetric(key, utf8("hello"), FIXED_CONTEXT);
  t.is(blob.length, PINNED_BLOB.length / 2);
  t.is(toHex(blob.subarray(0, 42)), PINNED_BLOB.slice(0, 84), "same header");
  t.not(toHex(blob.subarray(42, 54)), "000102030405060708090a0b", "random IV");
  t.is(decryptSymmetric(key, parseCiphertextBlob(blob), { purpose: "test" }).toString("utf8"), "hello");
});

// ---------------------------------------------------------------------------------------------
// Key wrapping under the root key.
// ---------------------------------------------------------------------------------------------

const ROOT_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 0xa0 + i));
const BINDING = { region: "us-east-1", keyId: FIXED_KEY_ID, version: 1 } as const;

test("key wrapping: round trip, iv|ct|tag layout, and a fresh IV each time", (t) => {
  const wrapped = wrapKeyMaterial(ROOT_KEY, FIXED_MATERIAL, BINDING);
  t.is(wrapped.length, GCM_IV_BYTES + FIXED_MATERIAL.length + GCM_TAG_BYTES);
  t.false(wrapped.includes(FIXED_MATERIAL), "the material is not stored in the clear");
  t.deepEqual(unwrapKeyMaterial(ROOT_KEY, wrapped, BINDING), FIXED_MATERIAL);
  const again = wrapKeyMaterial(ROOT_KEY, FIXED_MATERIAL, BINDING);
  t.notDeepEqual(again.subarray(0, GCM_IV_BYTES), wrapped.subarray(0, GCM_IV_BYTES));
  t.deepEqual(unwrapKeyMaterial(ROOT_KEY, again, BINDING), FIXED_MATERIAL);
});

test("key wrapping: unwrap fails with another root key, region, key id or version, or altered bytes", (t) => {
  const wrapped = wrapKeyMaterial(ROOT_KEY, FIXED_MATERIAL, BINDING);
  const failures: Array<[string, () => unknown]> = [
    ["another root key", () => unwrapKeyMaterial(flipBit(ROOT_KEY, 5), wrapped, BINDING)],
    ["another region", () => unwrapKeyMaterial(ROOT_KEY, wrapped, { ...BINDING, region: "eu-west-1" })],
    ["another key id", () => unwrapKeyMaterial(ROOT_KEY, wrapped, { ...BINDING, keyId: "00000000-0000-4000-8000-000000000001" })],
    ["another version", () => unwrapKeyMaterial(ROOT_KEY, wrapped, { ...BINDING, version: 2 })],
    ["flipped IV byte", () => unwrapKeyMaterial(ROOT_KEY, flipBit(wrapped, 0), BINDING)],
    ["flipped material byte", () => unwrapKeyMaterial(ROOT_KEY, flipBit(wrapped, GCM_IV_BYTES + 3), BINDING)],
    ["flipped tag byte", () => unwrapKeyMaterial(ROOT_KEY, flipBit(wrapped, wrapped.length - 1, 7), BINDING)],
    ["truncated", () => unwrapKeyMaterial(ROOT_KEY, wrapped.subarray(0, wrapped.length - 1), BINDING)],
    ["too short to hold iv and tag", () => unwrapKeyMaterial(ROOT_KEY, wrapped.subarray(0, GCM_IV_BYTES + GCM_TAG_BYTES), BINDING)],
  ];
  for (const [what, attempt] of failures) t.throws(attempt, undefined, what);
});

test("key wrapping: root keys other than 32 bytes are refused", (t) => {
  t.throws(() => wrapKeyMaterial(Buffer.alloc(16), FIXED_MATERIAL, BINDING), { instanceOf: TypeError });
  const wrapped = wrapKeyMaterial(ROOT_KEY, FIXED_MATERIAL, BINDING);
  t.throws(() => unwrapKeyMaterial(ROOT_KEY.subarray(0, 31), wrapped, BINDING), { instanceOf: TypeError });
});
