import test from "ava";
import { randomBytes, randomUUID } from "node:crypto";
import { EncryptionAlgorithmSpec, GrantOperation } from "../gen/kms/v1/types_pb.js";
import { encryptSymmetric } from "../server/crypto/symmetric-encryption.js";
import { allClients, expectFailure, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A copy with one byte inverted. */
function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] = copy[index]! ^ 0xff;
  return copy;
}

async function newKey(kms: KmsClient): Promise<{ keyId: string; arn: string }> {
  const { keyMetadata } = await kms.createKey({ description: "symmetric-crypto test" });
  return { keyId: keyMetadata!.keyId, arn: keyMetadata!.arn };
}

let aliasCounter = 0;
function uniqueAlias(kind: string): string {
  return `alias/symmetric-${kind}-${++aliasCounter}-${randomUUID().slice(0, 8)}`;
}

// Blob layout for a UUID key id: 2-byte prefix, 36-byte id, 4-byte version (header = 42 bytes), 12-byte IV, body, 16-byte tag.
const HEADER_BYTES = 2 + 36 + 4;
const IV_BYTES = 12;

for (const kind of allClients) {
  const title = (s: string): string => `${kind.name}: ${s}`;

  test(title("Encrypt/Decrypt round trip at 1 and 4096 bytes"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    for (const size of [1, 4096]) {
      const plaintext = randomBytes(size);
      const enc = await kms.encrypt({ keyId: key.keyId, plaintext });
      t.is(enc.keyId, key.arn, "Encrypt answers with the key ARN");
      t.is(enc.encryptionAlgorithm, EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT);
      t.is(enc.ciphertextBlob.length, HEADER_BYTES + IV_BYTES + size + 16);
      // (Only meaningful for long plaintexts: a single byte occurs in a random 71-byte blob by chance.)
      if (size >= 16) t.false(Buffer.from(enc.ciphertextBlob).includes(plaintext), "the plaintext does not appear in the blob");
      const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob });
      t.deepEqual(Buffer.from(dec.plaintext), plaintext, `${size} bytes survive the round trip`);
      t.is(dec.keyId, key.arn);
      t.is(dec.encryptionAlgorithm, EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT);
    }
  });

  test(title("Encrypt of 0 or 4097 bytes is ValidationException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: new Uint8Array(0) }), "ValidationException", "0 bytes");
    await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: new Uint8Array(4097) }), "ValidationException", "4097 bytes");
  });

  test(title("a new ciphertext, data key or grant is not bound to context keys that differ only in case (policies could not tell them apart)"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const twice = { tenant: "a", Tenant: "b" };
    await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: utf8("x"), encryptionContext: twice }), "ValidationException", "Encrypt");
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, numberOfBytes: 32, encryptionContext: twice }), "ValidationException", "GenerateDataKey");
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("x"), encryptionContext: { tenant: "a" } });
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob, sourceEncryptionContext: { tenant: "a" }, destinationKeyId: key.keyId, destinationEncryptionContext: twice }), "ValidationException", "ReEncrypt's destination");
    await expectFailure(t, kms.createGrant({ keyId: key.keyId, granteePrincipal: server.admin.principal_arn, operations: [GrantOperation.DECRYPT], constraints: { encryptionContextSubset: twice } }), "ValidationException", "a grant constraint");
    await expectFailure(t, kms.decrypt({ ciphertextBlob, encryptionContext: twice }), "InvalidCiphertextException", "Decrypt still reads them: only the context differs");
  });

  test(title("Decrypt needs exactly the encryption context used by Encrypt"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const context = { purpose: "test", tenant: "acme" };
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("bound"), encryptionContext: context });
    const wrong: Array<[string, Record<string, string>]> = [
      ["missing context", {}],
      ["a pair missing", { purpose: "test" }],
      ["an extra pair", { ...context, extra: "1" }],
      ["a different value", { purpose: "test", tenant: "acme2" }],
      ["a value in another case", { purpose: "test", tenant: "ACME" }],
      ["a key in another case", { Purpose: "test", tenant: "acme" }],
      ["key and value swapped", { test: "purpose", tenant: "acme" }],
    ];
    for (const [what, encryptionContext] of wrong) {
      await expectFailure(t, kms.decrypt({ ciphertextBlob, encryptionContext }), "InvalidCiphertextException", what);
    }
    const reordered = await kms.decrypt({ ciphertextBlob, encryptionContext: { tenant: "acme", purpose: "test" } });
    t.is(text(reordered.plaintext), "bound", "the same pairs in another order decrypt");

    const unbound = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("unbound") });
    await expectFailure(t, kms.decrypt({ ciphertextBlob: unbound.ciphertextBlob, encryptionContext: { purpose: "test" } }), "InvalidCiphertextException", "context given for a blob made without one");
    t.is(text((await kms.decrypt({ ciphertextBlob: unbound.ciphertextBlob })).plaintext), "unbound");
  });

  test(title("encryption context keys that are special in JavaScript are bound like any other"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const context: Record<string, string> = JSON.parse('{"__proto__":"p","constructor":"c","toString":"s"}') as Record<string, string>;
    t.deepEqual(Object.keys(context), ["__proto__", "constructor", "toString"], "precondition: own keys");
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("proto"), encryptionContext: context });
    await expectFailure(t, kms.decrypt({ ciphertextBlob }), "InvalidCiphertextException", "no context");
    await expectFailure(t, kms.decrypt({ ciphertextBlob, encryptionContext: { constructor: "c", toString: "s" } }), "InvalidCiphertextException", "__proto__ dropped");
    t.is(text((await kms.decrypt({ ciphertextBlob, encryptionContext: context })).plaintext), "proto");
  });

  test(title("Decrypt accepts the right key by id, ARN, alias and alias ARN; another key is IncorrectKeyException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const other = await newKey(kms);
    const alias = uniqueAlias(kind.name);
    const otherAlias = uniqueAlias(kind.name);
    await kms.createAlias({ aliasName: alias, targetKeyId: key.keyId });
    await kms.createAlias({ aliasName: otherAlias, targetKeyId: other.keyId });
    const aliasArn = key.arn.replace(/key\/.*$/, alias);
    const { ciphertextBlob } = await kms.encrypt({ keyId: alias, plaintext: utf8("named") });
    for (const keyId of [key.keyId, key.arn, alias, aliasArn]) {
      const dec = await kms.decrypt({ ciphertextBlob, keyId });
      t.is(text(dec.plaintext), "named", keyId);
      t.is(dec.keyId, key.arn, keyId);
    }
    for (const keyId of [other.keyId, other.arn, otherAlias]) {
      await expectFailure(t, kms.decrypt({ ciphertextBlob, keyId }), "IncorrectKeyException", keyId);
    }
  });

  test(title("Decrypt of a tampered blob (header, IV, body, tag) is InvalidCiphertextException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("tamper with me") });
    t.is(text((await kms.decrypt({ ciphertextBlob })).plaintext), "tamper with me", "the untouched blob decrypts");
    const positions: Array<[string, number]> = [
      ["format version", 0],
      ["key id length", 1],
      ["key id", 2],
      ["key id (last char)", HEADER_BYTES - 5],
      ["key version (high byte)", HEADER_BYTES - 4],
      ["key version (low byte)", HEADER_BYTES - 1],
      ["IV (first byte)", HEADER_BYTES],
      ["IV (last byte)", HEADER_BYTES + IV_BYTES - 1],
      ["body (first byte)", HEADER_BYTES + IV_BYTES],
      ["body (last byte)", ciphertextBlob.length - 17],
      ["tag (first byte)", ciphertextBlob.length - 16],
      ["tag (last byte)", ciphertextBlob.length - 1],
    ];
    for (const [what, index] of positions) {
      await expectFailure(t, kms.decrypt({ ciphertextBlob: flipByte(ciphertextBlob, index) }), "InvalidCiphertextException", what);
    }
    await expectFailure(t, kms.decrypt({ ciphertextBlob: ciphertextBlob.subarray(0, ciphertextBlob.length - 1) }), "InvalidCiphertextException", "truncated");
    await expectFailure(t, kms.decrypt({ ciphertextBlob: Buffer.concat([ciphertextBlob, Buffer.from([0])]) }), "InvalidCiphertextException", "extended");
  });

  test(title("Decrypt of a blob naming a key (or key version) that does not exist is InvalidCiphertextException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const nowhere = encryptSymmetric({ keyId: randomUUID(), version: 1, material: randomBytes(32) }, utf8("ghost"), {});
    await expectFailure(t, kms.decrypt({ ciphertextBlob: nowhere }), "InvalidCiphertextException", "unknown key");
    const noVersion = encryptSymmetric({ keyId: key.keyId, version: 2, material: randomBytes(32) }, utf8("ghost"), {});
    await expectFailure(t, kms.decrypt({ ciphertextBlob: noVersion }), "InvalidCiphertextException", "unknown version of an existing key");
    const forged = encryptSymmetric({ keyId: key.keyId, version: 1, material: randomBytes(32) }, utf8("ghost"), {});
    await expectFailure(t, kms.decrypt({ ciphertextBlob: forged }), "InvalidCiphertextException", "existing key and version, other material");
  });

  test(title("Decrypt with encryption_algorithm RSAES_OAEP_SHA_256 on a symmetric ciphertext is InvalidKeyUsageException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("alg") });
    await expectFailure(t, kms.decrypt({ ciphertextBlob, encryptionAlgorithm: EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256 }), "InvalidKeyUsageException");
    const explicit = await kms.decrypt({ ciphertextBlob, encryptionAlgorithm: EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT });
    t.is(text(explicit.plaintext), "alg", "SYMMETRIC_DEFAULT given explicitly is fine");
    await expectFailure(
      t,
      kms.encrypt({ keyId: key.keyId, plaintext: utf8("alg"), encryptionAlgorithm: EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256 }),
      "InvalidKeyUsageException",
      "Encrypt",
    );
  });

  test(title("a disabled key: Encrypt and Decrypt are DisabledException until it is enabled again"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("old") });
    await kms.disableKey({ keyId: key.keyId });
    await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: utf8("new") }), "DisabledException", "Encrypt");
    await expectFailure(t, kms.decrypt({ ciphertextBlob }), "DisabledException", "Decrypt");
    await kms.enableKey({ keyId: key.keyId });
    t.is(text((await kms.decrypt({ ciphertextBlob })).plaintext), "old", "enabled again, the old ciphertext decrypts");
  });

  test(title("a key pending deletion: Encrypt and Decrypt are KMSInvalidStateException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: utf8("doomed") });
    await kms.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 7 });
    await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: utf8("new") }), "KMSInvalidStateException", "Encrypt");
    await expectFailure(t, kms.decrypt({ ciphertextBlob }), "KMSInvalidStateException", "Decrypt");
  });

  test(title("ReEncrypt from key A to key B"), async (t) => {
    const kms = kind.connect(server);
    const a = await newKey(kms);
    const b = await newKey(kms);
    const sourceContext = { stage: "source" };
    const destinationContext = { stage: "destination", extra: "x" };
    const { ciphertextBlob } = await kms.encrypt({ keyId: a.keyId, plaintext: utf8("moving"), encryptionContext: sourceContext });
    const re = await kms.reEncrypt({
      ciphertextBlob,
      sourceEncryptionContext: sourceContext,
      destinationKeyId: b.keyId,
      destinationEncryptionContext: destinationContext,
    });
    t.is(re.sourceKeyId, a.arn);
    t.is(re.keyId, b.arn);
    t.is(re.sourceEncryptionAlgorithm, EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT);
    t.is(re.destinationEncryptionAlgorithm, EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT);
    t.notDeepEqual(Buffer.from(re.ciphertextBlob), Buffer.from(ciphertextBlob));
    const dec = await kms.decrypt({ ciphertextBlob: re.ciphertextBlob, encryptionContext: destinationContext });
    t.is(text(dec.plaintext), "moving");
    t.is(dec.keyId, b.arn, "the new blob is B's");
    await expectFailure(t, kms.decrypt({ ciphertextBlob: re.ciphertextBlob, encryptionContext: sourceContext }), "InvalidCiphertextException", "source context on the new blob");
    await expectFailure(t, kms.decrypt({ ciphertextBlob: re.ciphertextBlob, encryptionContext: destinationContext, keyId: a.keyId }), "IncorrectKeyException", "new blob with key A named");
  });

  test(title("ReEncrypt with a wrong source context is InvalidCiphertextException"), async (t) => {
    const kms = kind.connect(server);
    const a = await newKey(kms);
    const b = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: a.keyId, plaintext: utf8("ctx"), encryptionContext: { k: "v" } });
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob, destinationKeyId: b.keyId }), "InvalidCiphertextException", "no source context");
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob, sourceEncryptionContext: { k: "w" }, destinationKeyId: b.keyId }), "InvalidCiphertextException", "other value");
  });

  test(title("ReEncrypt refuses a source or destination key pending deletion (cancel the deletion to move data off it), and a disabled one"), async (t) => {
    const kms = kind.connect(server);
    const source = await newKey(kms);
    const destination = await newKey(kms);
    const doomedDestination = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: source.keyId, plaintext: utf8("rescue") });
    await kms.scheduleKeyDeletion({ keyId: source.keyId, pendingWindowInDays: 7 });
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob, destinationKeyId: destination.keyId }), "KMSInvalidStateException", "source pending deletion");
    await kms.cancelKeyDeletion({ keyId: source.keyId });
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob, destinationKeyId: destination.keyId }), "DisabledException", "source disabled after the cancellation");
    await kms.enableKey({ keyId: source.keyId });
    const re = await kms.reEncrypt({ ciphertextBlob, destinationKeyId: destination.keyId });
    t.is(re.sourceKeyId, source.arn);
    t.is(text((await kms.decrypt({ ciphertextBlob: re.ciphertextBlob })).plaintext), "rescue");

    await kms.scheduleKeyDeletion({ keyId: doomedDestination.keyId, pendingWindowInDays: 7 });
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob: re.ciphertextBlob, destinationKeyId: doomedDestination.keyId }), "KMSInvalidStateException", "destination pending deletion");
  });

  test(title("ReEncrypt with source_key_id of another key is IncorrectKeyException"), async (t) => {
    const kms = kind.connect(server);
    const a = await newKey(kms);
    const b = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: a.keyId, plaintext: utf8("src") });
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob, sourceKeyId: b.keyId, destinationKeyId: b.keyId }), "IncorrectKeyException");
    const ok = await kms.reEncrypt({ ciphertextBlob, sourceKeyId: a.arn, destinationKeyId: b.keyId });
    t.is(ok.sourceKeyId, a.arn, "the right source_key_id (as an ARN) is accepted");
  });

  test(title("ReEncrypt without destination_key_id is ValidationException"), async (t) => {
    const kms = kind.connect(server);
    const a = await newKey(kms);
    const { ciphertextBlob } = await kms.encrypt({ keyId: a.keyId, plaintext: utf8("nowhere") });
    await expectFailure(t, kms.reEncrypt({ ciphertextBlob }), "ValidationException");
  });

  test(title("Encrypt with dry_run is DryRunOperationException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: utf8("dry"), dryRun: true }), "DryRunOperationException");
    // A dry run still checks the request first: an invalid one fails with its own exception.
    await expectFailure(t, kms.encrypt({ keyId: key.keyId, plaintext: new Uint8Array(0), dryRun: true }), "ValidationException", "dry run of an invalid request");
  });
}
