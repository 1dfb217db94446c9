import test from "ava";
import { DataKeySpec } from "../gen/kms/v1/types_pb.js";
import { allClients, expectFailure, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

async function newKey(kms: KmsClient): Promise<{ keyId: string; arn: string }> {
  const { keyMetadata } = await kms.createKey({ description: "data-keys test" });
  return { keyId: keyMetadata!.keyId, arn: keyMetadata!.arn };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

for (const kind of allClients) {
  const title = (s: string): string => `${kind.name}: ${s}`;

  const sizes: Array<[string, { keySpec?: DataKeySpec; numberOfBytes?: number }, number]> = [
    ["key_spec AES_256", { keySpec: DataKeySpec.AES_256 }, 32],
    ["key_spec AES_128", { keySpec: DataKeySpec.AES_128 }, 16],
    ["number_of_bytes 1", { numberOfBytes: 1 }, 1],
    ["number_of_bytes 1024", { numberOfBytes: 1024 }, 1024],
  ];
  for (const [what, spec, length] of sizes) {
    test(title(`GenerateDataKey with ${what} gives ${length} byte${length === 1 ? "" : "s"} whose blob decrypts to them`), async (t) => {
      const kms = kind.connect(server);
      const key = await newKey(kms);
      const dk = await kms.generateDataKey({ keyId: key.keyId, ...spec });
      t.is(dk.plaintext.length, length);
      t.is(dk.keyId, key.arn);
      t.true(dk.keyMaterialId.length > 0, "key_material_id is reported");
      t.is(dk.ciphertextBlob.length, 2 + 36 + 4 + 12 + length + 16);
      const dec = await kms.decrypt({ ciphertextBlob: dk.ciphertextBlob });
      t.is(hex(dec.plaintext), hex(dk.plaintext));
      t.is(dec.keyId, key.arn);
      t.is(dec.keyMaterialId, dk.keyMaterialId);
    });
  }

  test(title("GenerateDataKey gives a different key each call"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const a = await kms.generateDataKey({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 });
    const b = await kms.generateDataKey({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 });
    t.not(hex(a.plaintext), hex(b.plaintext));
    t.not(hex(a.ciphertextBlob), hex(b.ciphertextBlob));
    t.not(hex(a.plaintext), "00".repeat(32), "not all zeros");
  });

  test(title("GenerateDataKey needs exactly one of key_spec and number_of_bytes, 1-1024"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, keySpec: DataKeySpec.AES_256, numberOfBytes: 32 }), "ValidationException", "both");
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId }), "ValidationException", "neither");
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, numberOfBytes: 0 }), "ValidationException", "0 bytes");
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, numberOfBytes: 1025 }), "ValidationException", "1025 bytes");
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, numberOfBytes: -1 }), "ValidationException", "-1 bytes");
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, keySpec: 99 as DataKeySpec }), "ValidationException", "unknown key_spec");
    await expectFailure(t, kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, keySpec: DataKeySpec.AES_128, numberOfBytes: 16 }), "ValidationException", "WithoutPlaintext: both");
    await expectFailure(t, kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId }), "ValidationException", "WithoutPlaintext: neither");
    await expectFailure(t, kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, numberOfBytes: 0 }), "ValidationException", "WithoutPlaintext: 0 bytes");
    await expectFailure(t, kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, numberOfBytes: 1025 }), "ValidationException", "WithoutPlaintext: 1025 bytes");
  });

  test(title("GenerateDataKey honours the encryption context"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const encryptionContext = { app: "billing", env: "prod" };
    const dk = await kms.generateDataKey({ keyId: key.keyId, keySpec: DataKeySpec.AES_256, encryptionContext });
    await expectFailure(t, kms.decrypt({ ciphertextBlob: dk.ciphertextBlob }), "InvalidCiphertextException", "no context");
    await expectFailure(t, kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, encryptionContext: { app: "billing" } }), "InvalidCiphertextException", "a pair missing");
    await expectFailure(t, kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, encryptionContext: { app: "billing", env: "dev" } }), "InvalidCiphertextException", "other value");
    const dec = await kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, encryptionContext: { env: "prod", app: "billing" } });
    t.is(hex(dec.plaintext), hex(dk.plaintext));

    const wp = await kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, numberOfBytes: 24, encryptionContext });
    await expectFailure(t, kms.decrypt({ ciphertextBlob: wp.ciphertextBlob }), "InvalidCiphertextException", "WithoutPlaintext: no context");
    t.is((await kms.decrypt({ ciphertextBlob: wp.ciphertextBlob, encryptionContext })).plaintext.length, 24);
  });

  test(title("GenerateDataKeyWithoutPlaintext returns no plaintext, and its blob decrypts to 32 bytes"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    const res = await kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 });
    const fields = res as unknown as Record<string, unknown>;
    const plaintext = fields["plaintext"];
    t.true(plaintext === undefined || (plaintext instanceof Uint8Array && plaintext.length === 0), "no plaintext in the response");
    const unknown = fields["$unknown"];
    t.true(unknown === undefined || (Array.isArray(unknown) && unknown.length === 0), "no fields beyond the contract on the wire");
    t.is(res.keyId, key.arn);
    t.is(res.ciphertextBlob.length, 2 + 36 + 4 + 12 + 32 + 16);
    const dec = await kms.decrypt({ ciphertextBlob: res.ciphertextBlob });
    t.is(dec.plaintext.length, 32);
    t.is(dec.keyMaterialId, res.keyMaterialId);
    const other = await kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 });
    const otherDec = await kms.decrypt({ ciphertextBlob: other.ciphertextBlob });
    t.not(hex(otherDec.plaintext), hex(dec.plaintext), "two calls make two keys");
  });

  test(title("GenerateDataKey and GenerateDataKeyWithoutPlaintext on a disabled key are DisabledException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    await kms.disableKey({ keyId: key.keyId });
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 }), "DisabledException", "GenerateDataKey");
    await expectFailure(t, kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, keySpec: DataKeySpec.AES_256 }), "DisabledException", "GenerateDataKeyWithoutPlaintext");
  });

  test(title("GenerateDataKey and GenerateDataKeyWithoutPlaintext on a key pending deletion are KMSInvalidStateException"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms);
    await kms.scheduleKeyDeletion({ keyId: key.keyId, pendingWindowInDays: 7 });
    await expectFailure(t, kms.generateDataKey({ keyId: key.keyId, numberOfBytes: 16 }), "KMSInvalidStateException", "GenerateDataKey");
    await expectFailure(t, kms.generateDataKeyWithoutPlaintext({ keyId: key.keyId, numberOfBytes: 16 }), "KMSInvalidStateException", "GenerateDataKeyWithoutPlaintext");
  });

  test(title("GenerateRandom returns 1 and 1024 bytes, different each call"), async (t) => {
    const kms = kind.connect(server);
    for (const n of [1, 1024]) {
      const a = await kms.generateRandom({ numberOfBytes: n });
      t.is(a.plaintext.length, n);
    }
    const x = await kms.generateRandom({ numberOfBytes: 1024 });
    const y = await kms.generateRandom({ numberOfBytes: 1024 });
    t.not(hex(x.plaintext), hex(y.plaintext));
    t.not(hex(x.plaintext), "00".repeat(1024), "not all zeros");
    // One byte: 32 draws that all agree would happen by chance with probability 2^-248.
    const singles = new Set<number>();
    for (let i = 0; i < 32; i++) singles.add((await kms.generateRandom({ numberOfBytes: 1 })).plaintext[0]!);
    t.true(singles.size > 1, "single bytes vary");
  });

  test(title("GenerateRandom with 0, 1025 or no number_of_bytes is ValidationException"), async (t) => {
    const kms = kind.connect(server);
    await expectFailure(t, kms.generateRandom({ numberOfBytes: 0 }), "ValidationException", "0 bytes");
    await expectFailure(t, kms.generateRandom({ numberOfBytes: 1025 }), "ValidationException", "1025 bytes");
    await expectFailure(t, kms.generateRandom({}), "ValidationException", "absent");
  });
}
