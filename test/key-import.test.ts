import { execFile } from "node:child_process";
import { createCipheriv, createDecipheriv, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import {
  AlgorithmSpec,
  ExpirationModelType,
  ImportState,
  ImportType,
  IncludeKeyMaterial,
  KeyMaterialState,
  KeySpec,
  KeyState,
  KeyUsage,
  MacAlgorithmSpec,
  OriginType,
  RotationType,
  SigningAlgorithmSpec,
  WrappingKeySpec,
} from "../gen/kms/v1/types_pb.js";
import { encodeBlobHeader, encodeCiphertextBlob, parseCiphertextBlob } from "../server/crypto/ciphertext-blob.js";
import { encodeEncryptionContext } from "../server/crypto/encryption-context.js";
import { connectGrpc, failureOf, type KmsClient } from "./support/clients.js";
import { login, startTestServer, type TestServer } from "./support/server.js";

const run = promisify(execFile);
const DAY = 86_400_000;
let now = Date.parse("2027-04-01T00:00:00Z");
let server: TestServer;
let dir: string;
test.before(async () => {
  server = await startTestServer({ clock: () => now });
  dir = await mkdtemp(join(tmpdir(), "kms-import-"));
});
test.after.always(async () => {
  await server?.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function admin(): Promise<KmsClient> {
  return connectGrpc.connect({ url: server.url, token: await login(server.url, server.admin.access_key_id, server.admin.secret_access_key) });
}

let files = 0;
const file = (name: string) => join(dir, `${++files}-${name}`);

/** Wraps material as AWS's documentation tells users to, with the openssl CLI and GetParametersForImport's public key. */
async function wrapWithOpenssl(material: Buffer, publicKeyDer: Uint8Array, algorithm: AlgorithmSpec): Promise<Buffer> {
  const pub = file("wrapping.der");
  const pem = file("wrapping.pem");
  await writeFile(pub, publicKeyDer);
  await run("openssl", ["pkey", "-pubin", "-inform", "DER", "-in", pub, "-out", pem]);
  const md = algorithm === AlgorithmSpec.RSAES_OAEP_SHA_1 || algorithm === AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_1 ? "sha1" : "sha256";
  const oaep = (input: string, output: string) =>
    run("openssl", ["pkeyutl", "-encrypt", "-in", input, "-out", output, "-inkey", pem, "-pubin", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", `rsa_oaep_md:${md}`, "-pkeyopt", `rsa_mgf1_md:${md}`]);
  const plain = file("material.bin");
  await writeFile(plain, material);
  if (algorithm === AlgorithmSpec.RSAES_OAEP_SHA_1 || algorithm === AlgorithmSpec.RSAES_OAEP_SHA_256) {
    const out = file("encrypted.bin");
    await oaep(plain, out);
    return readFile(out);
  }
  const aes = file("aes.bin");
  const wrappedAes = file("wrapped-aes.bin");
  const wrappedMaterial = file("wrapped-material.bin");
  await run("openssl", ["rand", "-out", aes, "32"]);
  const aesHex = (await readFile(aes)).toString("hex");
  await run("openssl", ["enc", "-id-aes256-wrap-pad", "-K", aesHex, "-iv", "A65959A6", "-in", plain, "-out", wrappedMaterial]);
  await oaep(aes, wrappedAes);
  return Buffer.concat([await readFile(wrappedAes), await readFile(wrappedMaterial)]);
}

/** A private key made by openssl, as PKCS#8 DER. */
async function opensslPrivateKey(args: string[]): Promise<Buffer> {
  const pem = file("private.pem");
  const der = file("private.der");
  await run("openssl", ["genpkey", ...args, "-out", pem]);
  await run("openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", pem, "-outform", "DER", "-out", der]);
  return readFile(der);
}

type ImportOptions = { validTo?: number; importType?: ImportType; keyMaterialId?: string; keyMaterialDescription?: string };

async function importInto(kms: KmsClient, keyId: string, material: Buffer, algorithm: AlgorithmSpec, { validTo, ...options }: ImportOptions = {}) {
  const params = await kms.getParametersForImport({ keyId, wrappingAlgorithm: algorithm, wrappingKeySpec: WrappingKeySpec.RSA_2048 });
  const encryptedKeyMaterial = await wrapWithOpenssl(material, params.publicKey, algorithm);
  return kms.importKeyMaterial({
    keyId,
    importToken: params.importToken,
    encryptedKeyMaterial,
    ...options,
    ...(validTo !== undefined
      ? { expirationModel: ExpirationModelType.KEY_MATERIAL_EXPIRES, validTo: timestampFromMs(validTo) }
      : { expirationModel: ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE }),
  });
}

test.serial("imported symmetric material encrypts, and its ciphertext opens outside with the same 32 bytes; delete and re-import", async (t) => {
  const kms = await admin();
  const created = (await kms.createKey({ origin: OriginType.EXTERNAL, description: "byok" })).keyMetadata!;
  t.is(created.keyState, KeyState.PENDING_IMPORT);
  t.is(created.origin, OriginType.EXTERNAL);
  const keyId = created.keyId;
  t.is((await failureOf(kms.encrypt({ keyId, plaintext: new Uint8Array([1]) }))).exception, "KMSInvalidStateException");

  const params = await kms.getParametersForImport({ keyId, wrappingAlgorithm: AlgorithmSpec.RSAES_OAEP_SHA_256, wrappingKeySpec: WrappingKeySpec.RSA_2048 });
  t.is(Number(params.parametersValidTo!.seconds) * 1000, now + DAY);
  t.is(createPublicKey({ key: Buffer.from(params.publicKey), format: "der", type: "spki" }).asymmetricKeyDetails?.modulusLength, 2048);

  const material = randomBytes(32);
  const imported = await importInto(kms, keyId, material, AlgorithmSpec.RSAES_OAEP_SHA_256);
  t.regex(imported.keyMaterialId, /^[0-9a-f]{64}$/);
  const described = (await kms.describeKey({ keyId })).keyMetadata!;
  t.is(described.keyState, KeyState.ENABLED);
  t.is(described.expirationModel, ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE);

  // The ciphertext format is documented (docs/ciphertext-format.md): AES-256-GCM under the imported bytes.
  const plaintext = Buffer.from("bring your own key");
  const context = { owner: "me" };
  const blob = (await kms.encrypt({ keyId, plaintext, encryptionContext: context })).ciphertextBlob;
  const parsed = parseCiphertextBlob(blob);
  const decipher = createDecipheriv("aes-256-gcm", material, parsed.iv);
  decipher.setAAD(Buffer.concat([parsed.header, encodeEncryptionContext(context)]));
  decipher.setAuthTag(parsed.tag);
  t.deepEqual(Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]), plaintext);

  t.is((await failureOf(importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_1))).exception, "IncorrectKeyMaterialException");
  await kms.deleteImportedKeyMaterial({ keyId });
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_IMPORT);
  t.is((await failureOf(kms.decrypt({ ciphertextBlob: blob, encryptionContext: context }))).exception, "KMSInvalidStateException");
  t.is((await failureOf(importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256))).exception, "IncorrectKeyMaterialException");
  t.is((await importInto(kms, keyId, material, AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_1)).keyMaterialId, imported.keyMaterialId);
  t.deepEqual(Buffer.from((await kms.decrypt({ ciphertextBlob: blob, encryptionContext: context })).plaintext), plaintext);
});

test.serial("material that expires is deleted at valid_to by the scheduler; the key waits in PendingImport", async (t) => {
  let kms = await admin();
  const keyId = (await kms.createKey({ origin: OriginType.EXTERNAL })).keyMetadata!.keyId;
  await importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { validTo: now + 2 * DAY });
  const described = (await kms.describeKey({ keyId })).keyMetadata!;
  t.is(described.expirationModel, ExpirationModelType.KEY_MATERIAL_EXPIRES);
  t.is(Number(described.validTo!.seconds) * 1000, now + 2 * DAY);
  now += DAY;
  await server.runScheduledWork();
  kms = await admin();
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.ENABLED);
  now += 2 * DAY;
  await server.runScheduledWork();
  kms = await admin();
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_IMPORT);
  t.is((await failureOf(kms.encrypt({ keyId, plaintext: new Uint8Array([1]) }))).exception, "KMSInvalidStateException");
});

/** Opens a ciphertext outside the service with raw AES-256-GCM under the given 32 bytes. */
function openOutside(blob: Uint8Array, material: Buffer, context: Record<string, string>): Buffer {
  const parsed = parseCiphertextBlob(blob);
  const decipher = createDecipheriv("aes-256-gcm", material, parsed.iv);
  decipher.setAAD(Buffer.concat([parsed.header, encodeEncryptionContext(context)]));
  decipher.setAuthTag(parsed.tag);
  return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
}

test.serial("imported material rotates on demand: NEW_KEY_MATERIAL waits PENDING_ROTATION, RotateKeyOnDemand makes it current, and old ciphertexts still decrypt", async (t) => {
  const kms = await admin();
  const keyId = (await kms.createKey({ origin: OriginType.EXTERNAL })).keyMetadata!.keyId;
  const first = randomBytes(32);
  const second = randomBytes(32);
  const firstId = (await importInto(kms, keyId, first, AlgorithmSpec.RSAES_OAEP_SHA_256, { keyMaterialDescription: "first HSM export" })).keyMaterialId;
  const context = { app: "byok" };
  const before = (await kms.encrypt({ keyId, plaintext: Buffer.from("before"), encryptionContext: context })).ciphertextBlob;
  t.is((await failureOf(kms.rotateKeyOnDemand({ keyId }))).exception, "KMSInvalidStateException", "nothing imported to rotate to");

  const secondId = (await importInto(kms, keyId, second, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL, validTo: now + 30 * DAY, keyMaterialDescription: "second" })).keyMaterialId;
  t.not(secondId, firstId);
  const withPending = (await kms.describeKey({ keyId })).keyMetadata!;
  t.is(withPending.currentKeyMaterialId, firstId, "pending material does not encrypt yet");
  t.is(withPending.expirationModel, ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, "nor does its expiry stop the key");
  t.deepEqual(openOutside((await kms.encrypt({ keyId, plaintext: Buffer.from("x"), encryptionContext: context })).ciphertextBlob, first, context), Buffer.from("x"));
  const all = async () => (await kms.listKeyRotations({ keyId, includeKeyMaterial: IncludeKeyMaterial.ALL_KEY_MATERIAL })).rotations;
  t.like(await all(), [
    { keyMaterialId: firstId, keyMaterialState: KeyMaterialState.CURRENT, importState: ImportState.IMPORTED, keyMaterialDescription: "first HSM export", expirationModel: ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE },
    { keyMaterialId: secondId, keyMaterialState: KeyMaterialState.PENDING_ROTATION, importState: ImportState.IMPORTED, keyMaterialDescription: "second", expirationModel: ExpirationModelType.KEY_MATERIAL_EXPIRES },
  ]);
  t.is((await kms.listKeyRotations({ keyId })).rotations.length, 0, "no rotation yet (ROTATIONS_ONLY)");
  t.is((await failureOf(importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL }))).exception, "KMSInvalidStateException", "one pending rotation at a time");

  t.is((await kms.rotateKeyOnDemand({ keyId })).keyId, keyId);
  const described = (await kms.describeKey({ keyId })).keyMetadata!;
  t.is(described.currentKeyMaterialId, secondId);
  t.is(Number(described.validTo!.seconds) * 1000, now + 30 * DAY, "DescribeKey shows the current material's expiry");
  const after = (await kms.encrypt({ keyId, plaintext: Buffer.from("after"), encryptionContext: context })).ciphertextBlob;
  t.deepEqual(openOutside(after, second, context), Buffer.from("after"), "new ciphertexts are under the new material");
  t.deepEqual(Buffer.from((await kms.decrypt({ ciphertextBlob: before, encryptionContext: context })).plaintext), Buffer.from("before"));
  const rotations = (await kms.listKeyRotations({ keyId })).rotations;
  t.is(rotations.length, 1);
  t.like(rotations[0], { keyMaterialId: secondId, rotationType: RotationType.ON_DEMAND, keyMaterialState: KeyMaterialState.CURRENT });
  t.is(Number(rotations[0]!.rotationDate!.seconds) * 1000, now);
  t.is((await all())[0]!.keyMaterialState, KeyMaterialState.NON_CURRENT);

  // Deleting the non-current material stops the key until that same material comes back.
  await kms.deleteImportedKeyMaterial({ keyId, keyMaterialId: firstId });
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_IMPORT);
  t.is((await all())[0]!.importState, ImportState.PENDING_IMPORT);
  t.is((await failureOf(kms.decrypt({ ciphertextBlob: after, encryptionContext: context }))).exception, "KMSInvalidStateException");
  t.is((await failureOf(importInto(kms, keyId, first, AlgorithmSpec.RSAES_OAEP_SHA_256, { keyMaterialId: secondId }))).exception, "IncorrectKeyMaterialException", "key_material_id names other material");
  t.is((await failureOf(importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.EXISTING_KEY_MATERIAL }))).exception, "IncorrectKeyMaterialException");
  t.is((await importInto(kms, keyId, first, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.EXISTING_KEY_MATERIAL, keyMaterialId: firstId })).keyMaterialId, firstId);
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.ENABLED);
  t.deepEqual(Buffer.from((await kms.decrypt({ ciphertextBlob: before, encryptionContext: context })).plaintext), Buffer.from("before"));

  // Material pending rotation can be deleted and other material imported in its place; it never decrypts.
  const third = randomBytes(32);
  const thirdId = (await importInto(kms, keyId, third, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL })).keyMaterialId;
  // A well-formed ciphertext under the pending material, sealed outside by whoever holds it.
  const header = encodeBlobHeader(keyId, 3);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", third, iv);
  cipher.setAAD(Buffer.concat([header, encodeEncryptionContext(context)]));
  const sealed = Buffer.concat([cipher.update("forged"), cipher.final()]);
  const forged = encodeCiphertextBlob(header, iv, sealed, cipher.getAuthTag());
  t.is((await failureOf(kms.decrypt({ ciphertextBlob: forged, encryptionContext: context }))).exception, "InvalidCiphertextException");
  await kms.deleteImportedKeyMaterial({ keyId, keyMaterialId: thirdId });
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.ENABLED, "pending material is not bound to the key");
  t.deepEqual((await all()).map((r) => r.keyMaterialId), [firstId, secondId]);
  await importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL });

  // Each material expires on its own: the current one at its valid_to stops the key.
  now += 31 * DAY;
  await server.runScheduledWork();
  const kmsLater = await admin();
  t.is((await kmsLater.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_IMPORT);
  const states = (await kmsLater.listKeyRotations({ keyId, includeKeyMaterial: IncludeKeyMaterial.ALL_KEY_MATERIAL })).rotations.map((r) => [r.keyMaterialId, r.importState]);
  t.deepEqual(states.slice(0, 2), [[firstId, ImportState.IMPORTED], [secondId, ImportState.PENDING_IMPORT]]);
});

test.serial("NEW_KEY_MATERIAL is refused where AWS refuses it, and changes nothing", async (t) => {
  const kms = await admin();
  const macKey = (await kms.createKey({ origin: OriginType.EXTERNAL, keySpec: KeySpec.HMAC_256, keyUsage: KeyUsage.GENERATE_VERIFY_MAC })).keyMetadata!.keyId;
  await importInto(kms, macKey, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256);
  t.is((await failureOf(importInto(kms, macKey, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL }))).exception, "UnsupportedOperationException");
  t.is((await failureOf(kms.rotateKeyOnDemand({ keyId: macKey }))).exception, "UnsupportedOperationException");
  const keyId = (await kms.createKey({ origin: OriginType.EXTERNAL })).keyMetadata!.keyId;
  const material = randomBytes(32);
  const id = (await importInto(kms, keyId, material, AlgorithmSpec.RSAES_OAEP_SHA_256)).keyMaterialId;
  t.is((await failureOf(importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL, keyMaterialId: id }))).exception, "ValidationException");
  t.is((await failureOf(importInto(kms, keyId, material, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL }))).exception, "IncorrectKeyMaterialException", "already associated");
  t.is((await failureOf(importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL, keyMaterialDescription: "no <tags>" }))).exception, "ValidationException");
  t.is((await failureOf(kms.deleteImportedKeyMaterial({ keyId, keyMaterialId: "0".repeat(64) }))).exception, "NotFoundException");
  t.is((await failureOf(kms.enableKeyRotation({ keyId }))).exception, "UnsupportedOperationException", "imported material never rotates automatically");
  t.is((await kms.listKeyRotations({ keyId, includeKeyMaterial: IncludeKeyMaterial.ALL_KEY_MATERIAL })).rotations.length, 1, "no refusal associated anything");

  // A first import may say NEW_KEY_MATERIAL, whatever the key.
  const otherMac = (await kms.createKey({ origin: OriginType.EXTERNAL, keySpec: KeySpec.HMAC_256, keyUsage: KeyUsage.GENERATE_VERIFY_MAC })).keyMetadata!.keyId;
  await importInto(kms, otherMac, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL });
  t.is((await kms.describeKey({ keyId: otherMac })).keyMetadata!.keyState, KeyState.ENABLED);
});

test.serial("DescribeKey's valid_to is the earliest expiry of any material bound to the key; material can be deleted while the key is pending deletion", async (t) => {
  const kms = await admin();
  const keyId = (await kms.createKey({ origin: OriginType.EXTERNAL })).keyMetadata!.keyId;
  await importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { validTo: now + 5 * DAY });
  await importInto(kms, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL });
  await kms.rotateKeyOnDemand({ keyId });
  const described = (await kms.describeKey({ keyId })).keyMetadata!;
  t.is(described.expirationModel, ExpirationModelType.KEY_MATERIAL_EXPIRES, "the current material does not expire, the one before it does");
  t.is(Number(described.validTo!.seconds) * 1000, now + 5 * DAY);

  await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 });
  await kms.deleteImportedKeyMaterial({ keyId });
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_DELETION, "still pending deletion");
  await kms.cancelKeyDeletion({ keyId });
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_IMPORT, "back without its current material: PendingImport, not Disabled");
});

test.serial("multi-Region keys with imported material: each replica waits for the same material; new material goes into the primary, then each replica, and rotates every region at once", async (t) => {
  const token = await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  const east = connectGrpc.connect({ url: server.url, token }, "us-east-1");
  const west = connectGrpc.connect({ url: server.url, token }, "eu-west-1");
  const keyId = (await east.createKey({ origin: OriginType.EXTERNAL, multiRegion: true })).keyMetadata!.keyId;
  t.regex(keyId, /^mrk-/);
  t.is((await failureOf(east.replicateKey({ keyId, replicaRegion: "eu-west-1" }))).exception, "KMSInvalidStateException", "no material to tell which the replica must take");
  const material = randomBytes(32);
  const materialId = (await importInto(east, keyId, material, AlgorithmSpec.RSAES_OAEP_SHA_256)).keyMaterialId;
  const replica = (await east.replicateKey({ keyId, replicaRegion: "eu-west-1" })).replicaKeyMetadata!;
  t.is(replica.keyState, KeyState.PENDING_IMPORT);
  t.is(replica.currentKeyMaterialId, materialId, "the replica is bound to the primary's material");
  const context = { region: "any" };
  const fromEast = (await east.encrypt({ keyId, plaintext: Buffer.from("east"), encryptionContext: context })).ciphertextBlob;
  t.is((await failureOf(west.decrypt({ ciphertextBlob: fromEast, encryptionContext: context }))).exception, "KMSInvalidStateException");
  t.is((await failureOf(importInto(west, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256))).exception, "IncorrectKeyMaterialException", "other material never");
  t.is((await importInto(west, keyId, material, AlgorithmSpec.RSAES_OAEP_SHA_1, { validTo: now + 3 * DAY })).keyMaterialId, materialId);
  t.is((await west.describeKey({ keyId })).keyMetadata!.keyState, KeyState.ENABLED);
  t.deepEqual(Buffer.from((await west.decrypt({ ciphertextBlob: fromEast, encryptionContext: context })).plaintext), Buffer.from("east"));
  const fromWest = (await west.encrypt({ keyId, plaintext: Buffer.from("west"), encryptionContext: context })).ciphertextBlob;
  t.deepEqual(Buffer.from((await east.decrypt({ ciphertextBlob: fromWest, encryptionContext: context })).plaintext), Buffer.from("west"));
  // Rotation: new material goes into the primary, then into each replica; then the primary rotates every region at once.
  const second = randomBytes(32);
  t.is((await failureOf(importInto(west, keyId, second, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL }))).exception, "UnsupportedOperationException", "not into a replica");
  // Pending material deleted from the primary goes from every region, and other material can take its place.
  const discarded = (await importInto(east, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL })).keyMaterialId;
  const westIds = async () => (await west.listKeyRotations({ keyId, includeKeyMaterial: IncludeKeyMaterial.ALL_KEY_MATERIAL })).rotations.map((r) => r.keyMaterialId);
  t.deepEqual(await westIds(), [materialId, discarded], "a replica lists the materials it is bound to");
  await east.deleteImportedKeyMaterial({ keyId, keyMaterialId: discarded });
  t.deepEqual(await westIds(), [materialId]);
  const secondId = (await importInto(east, keyId, second, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL })).keyMaterialId;
  const pendingState = async () => (await east.listKeyRotations({ keyId, includeKeyMaterial: IncludeKeyMaterial.ALL_KEY_MATERIAL })).rotations.find((r) => r.keyMaterialId === secondId)!.keyMaterialState;
  t.is(await pendingState(), KeyMaterialState.PENDING_MULTI_REGION_IMPORT_AND_ROTATION);
  t.regex((await failureOf(east.rotateKeyOnDemand({ keyId }))).message, /not yet imported in eu-west-1/);
  await importInto(west, keyId, second, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.EXISTING_KEY_MATERIAL, keyMaterialId: secondId });
  t.is(await pendingState(), KeyMaterialState.PENDING_ROTATION);
  t.is((await west.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId, materialId, "nothing rotates before RotateKeyOnDemand");
  await east.rotateKeyOnDemand({ keyId });
  t.is((await east.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId, secondId);
  t.is((await west.describeKey({ keyId })).keyMetadata!.currentKeyMaterialId, secondId, "the replica rotated in the same batch");
  const rotatedWest = (await west.encrypt({ keyId, plaintext: Buffer.from("after"), encryptionContext: context })).ciphertextBlob;
  t.deepEqual(openOutside(rotatedWest, second, context), Buffer.from("after"));
  t.deepEqual(Buffer.from((await east.decrypt({ ciphertextBlob: rotatedWest, encryptionContext: context })).plaintext), Buffer.from("after"));
  t.deepEqual(Buffer.from((await west.decrypt({ ciphertextBlob: fromEast, encryptionContext: context })).plaintext), Buffer.from("east"), "the first material still decrypts everywhere");
  // Each region's copy expires on its own.
  now += 4 * DAY;
  await server.runScheduledWork();
  const later = await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  t.is((await connectGrpc.connect({ url: server.url, token: later }, "eu-west-1").describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_IMPORT);
  t.is((await connectGrpc.connect({ url: server.url, token: later }, "us-east-1").describeKey({ keyId })).keyMetadata!.keyState, KeyState.ENABLED);
});


test.serial("multi-Region pending material: deleted from a replica it waits there to be imported again; expired in the primary it goes from every region, as deletion there does", async (t) => {
  const token = await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  const east = connectGrpc.connect({ url: server.url, token }, "us-east-1");
  const west = connectGrpc.connect({ url: server.url, token }, "eu-west-1");
  const keyId = (await east.createKey({ origin: OriginType.EXTERNAL, multiRegion: true })).keyMetadata!.keyId;
  const first = randomBytes(32);
  const firstId = (await importInto(east, keyId, first, AlgorithmSpec.RSAES_OAEP_SHA_256)).keyMaterialId;
  await east.replicateKey({ keyId, replicaRegion: "eu-west-1" });
  await importInto(west, keyId, first, AlgorithmSpec.RSAES_OAEP_SHA_256);
  const pending = randomBytes(32);
  const pendingId = (await importInto(east, keyId, pending, AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL, validTo: now + 2 * DAY })).keyMaterialId;
  await importInto(west, keyId, pending, AlgorithmSpec.RSAES_OAEP_SHA_256, { keyMaterialId: pendingId, validTo: now + 5 * DAY });
  const listed = async (kms: KmsClient) =>
    (await kms.listKeyRotations({ keyId, includeKeyMaterial: IncludeKeyMaterial.ALL_KEY_MATERIAL })).rotations.map((r) => `${r.keyMaterialId === firstId ? "first" : r.keyMaterialId === pendingId ? "pending" : "other"}:${KeyMaterialState[r.keyMaterialState]}:${ImportState[r.importState]}`);
  t.deepEqual(await listed(east), ["first:CURRENT:IMPORTED", "pending:PENDING_ROTATION:IMPORTED"]);

  // Deleted from the replica: the primary and the replica's binding stay; rotation waits for it again.
  await west.deleteImportedKeyMaterial({ keyId, keyMaterialId: pendingId });
  t.deepEqual(await listed(west), ["first:CURRENT:IMPORTED", "pending:PENDING_ROTATION:PENDING_IMPORT"]);
  t.deepEqual(await listed(east), ["first:CURRENT:IMPORTED", "pending:PENDING_MULTI_REGION_IMPORT_AND_ROTATION:IMPORTED"]);
  t.is((await west.describeKey({ keyId })).keyMetadata!.keyState, KeyState.ENABLED, "material not yet the key's does not stop the replica");
  await importInto(west, keyId, pending, AlgorithmSpec.RSAES_OAEP_SHA_256, { keyMaterialId: pendingId, validTo: now + 5 * DAY });
  t.deepEqual(await listed(east), ["first:CURRENT:IMPORTED", "pending:PENDING_ROTATION:IMPORTED"]);

  // Expired in the primary: disassociated everywhere, the replica's own copy and its expiry included.
  now += 3 * DAY;
  await server.runScheduledWork();
  const later = await login(server.url, server.admin.access_key_id, server.admin.secret_access_key);
  const [eastLater, westLater] = ["us-east-1", "eu-west-1"].map((region) => connectGrpc.connect({ url: server.url, token: later }, region));
  t.deepEqual(await listed(eastLater!), ["first:CURRENT:IMPORTED"]);
  t.deepEqual(await listed(westLater!), ["first:CURRENT:IMPORTED"]);
  t.is((await failureOf(eastLater!.rotateKeyOnDemand({ keyId }))).exception, "KMSInvalidStateException", "nothing is pending any more");
  for (const kms of [eastLater!, westLater!]) t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.ENABLED);
  // Other material can take its place.
  const next = (await importInto(eastLater!, keyId, randomBytes(32), AlgorithmSpec.RSAES_OAEP_SHA_256, { importType: ImportType.NEW_KEY_MATERIAL })).keyMaterialId;
  t.not(next, pendingId);
  t.deepEqual(await listed(westLater!), ["first:CURRENT:IMPORTED", "other:PENDING_ROTATION:PENDING_IMPORT"]);
});
test.serial("RSA and EC private keys made by openssl import with RSA_AES_KEY_WRAP and sign; an HMAC key gives the known HMAC", async (t) => {
  const kms = await admin();
  for (const [spec, args, algorithm, hash] of [
    [KeySpec.RSA_2048, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], SigningAlgorithmSpec.RSASSA_PKCS1_V1_5_SHA_256, "sha256"],
    [KeySpec.ECC_NIST_P256, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], SigningAlgorithmSpec.ECDSA_SHA_256, "sha256"],
  ] as const) {
    const pkcs8 = await opensslPrivateKey([...args]);
    const keyId = (await kms.createKey({ origin: OriginType.EXTERNAL, keySpec: spec, keyUsage: KeyUsage.SIGN_VERIFY })).keyMetadata!.keyId;
    if (spec === KeySpec.RSA_2048) {
      const refused = kms.getParametersForImport({ keyId, wrappingAlgorithm: AlgorithmSpec.RSAES_OAEP_SHA_256, wrappingKeySpec: WrappingKeySpec.RSA_2048 });
      t.is((await failureOf(refused)).exception, "ValidationException", "an RSA private key is too large for OAEP alone");
    }
    await importInto(kms, keyId, pkcs8, AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_256);
    const { publicKey } = await kms.getPublicKey({ keyId });
    const der = file("imported.der");
    await writeFile(der, pkcs8);
    const { stdout: publicPem } = await run("openssl", ["pkey", "-inform", "DER", "-in", der, "-pubout"]);
    t.deepEqual(createPublicKey(publicPem).export({ format: "der", type: "spki" }), Buffer.from(publicKey), "GetPublicKey is the imported key's public half");
    const message = Buffer.from("signed with my own key");
    const { signature } = await kms.sign({ keyId, message, signingAlgorithm: algorithm });
    t.true(verify(hash, message, createPublicKey({ key: Buffer.from(publicKey), format: "der", type: "spki" }), signature));
  }
  const hmacKey = randomBytes(32);
  const macKey = (await kms.createKey({ origin: OriginType.EXTERNAL, keySpec: KeySpec.HMAC_256, keyUsage: KeyUsage.GENERATE_VERIFY_MAC })).keyMetadata!.keyId;
  await importInto(kms, macKey, hmacKey, AlgorithmSpec.RSAES_OAEP_SHA_256);
  const message = Buffer.from("known answer");
  const { mac } = await kms.generateMac({ keyId: macKey, message, macAlgorithm: MacAlgorithmSpec.HMAC_SHA_256 });
  t.deepEqual(Buffer.from(mac), createHmac("sha256", hmacKey).update(message).digest());
});

test.serial("import refusals: tokens (expired, of another key, garbage), material, algorithms, origins and expiry parameters", async (t) => {
  let kms = await admin();
  const keyId = (await kms.createKey({ origin: OriginType.EXTERNAL })).keyMetadata!.keyId;
  const other = (await kms.createKey({ origin: OriginType.EXTERNAL })).keyMetadata!.keyId;
  const params = await kms.getParametersForImport({ keyId, wrappingAlgorithm: AlgorithmSpec.RSAES_OAEP_SHA_256, wrappingKeySpec: WrappingKeySpec.RSA_3072 });
  const good = await wrapWithOpenssl(randomBytes(32), params.publicKey, AlgorithmSpec.RSAES_OAEP_SHA_256);
  const attempt = (id: string, importToken: Uint8Array, encryptedKeyMaterial: Uint8Array, extra: object = { expirationModel: ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE }) =>
    kms.importKeyMaterial({ keyId: id, importToken, encryptedKeyMaterial, ...extra });
  t.is((await failureOf(attempt(other, params.importToken, good))).exception, "InvalidImportTokenException");
  t.is((await failureOf(attempt(keyId, randomBytes(400), good))).exception, "InvalidImportTokenException");
  const tampered = Buffer.from(params.importToken);
  tampered[tampered.length - 1]! ^= 1;
  t.is((await failureOf(attempt(keyId, tampered, good))).exception, "InvalidImportTokenException");
  t.is((await failureOf(attempt(keyId, params.importToken, randomBytes(384)))).exception, "InvalidCiphertextException");
  t.is((await failureOf(attempt(keyId, params.importToken, await wrapWithOpenssl(randomBytes(16), params.publicKey, AlgorithmSpec.RSAES_OAEP_SHA_256)))).exception, "ValidationException");
  t.is((await failureOf(attempt(keyId, params.importToken, good, { expirationModel: ExpirationModelType.KEY_MATERIAL_EXPIRES }))).exception, "ValidationException");
  t.is((await failureOf(attempt(keyId, params.importToken, good, { expirationModel: ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, validTo: timestampFromMs(now + DAY) }))).exception, "ValidationException");
  t.is((await failureOf(attempt(keyId, params.importToken, good, { validTo: timestampFromMs(now + 400 * DAY) }))).exception, "ValidationException");
  t.is((await kms.describeKey({ keyId })).keyMetadata!.keyState, KeyState.PENDING_IMPORT, "no refusal changed the key");

  const generated = (await kms.createKey({})).keyMetadata!.keyId;
  t.is((await failureOf(kms.getParametersForImport({ keyId: generated, wrappingAlgorithm: AlgorithmSpec.RSAES_OAEP_SHA_256, wrappingKeySpec: WrappingKeySpec.RSA_2048 }))).exception, "UnsupportedOperationException");
  t.is((await failureOf(kms.getParametersForImport({ keyId, wrappingAlgorithm: AlgorithmSpec.RSAES_PKCS1_V1_5, wrappingKeySpec: WrappingKeySpec.RSA_2048 }))).exception, "ValidationException");
  t.is((await failureOf(kms.createKey({ origin: OriginType.EXTERNAL, keySpec: KeySpec.ML_DSA_44, keyUsage: KeyUsage.SIGN_VERIFY }))).exception, "UnsupportedOperationException");
  t.is((await failureOf(kms.enableKeyRotation({ keyId }))).exception, "UnsupportedOperationException");

  now += DAY + 1000;
  kms = await admin();
  t.is((await failureOf(attempt(keyId, params.importToken, good))).exception, "ExpiredImportTokenException");
});
