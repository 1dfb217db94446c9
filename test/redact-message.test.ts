import { create } from "@bufbuild/protobuf";
import { getOption, hasOption } from "@bufbuild/protobuf";
import test from "ava";
import { file_kms_v1_asymmetric as asymmetricFile } from "../gen/kms/v1/asymmetric_pb.js";
import { file_kms_v1_import as importFile } from "../gen/kms/v1/import_pb.js";
import { file_kms_v1_keys as keysFile } from "../gen/kms/v1/keys_pb.js";
import { sensitive } from "../gen/kms/v1/options_pb.js";
import { CreateGrantResponseSchema, file_kms_v1_grants as grantsFile } from "../gen/kms/v1/grants_pb.js";
import { EncryptRequestSchema, file_kms_v1_symmetric as symmetricFile, GenerateDataKeyResponseSchema } from "../gen/kms/v1/symmetric_pb.js";
import { redactMessage } from "../server/redact-message.js";

test("fields marked sensitive in the contract are redacted; other bytes show only their length", (t) => {
  const request = create(EncryptRequestSchema, { keyId: "alias/a", plaintext: new Uint8Array([1, 2, 3]), encryptionContext: { k: "v" } });
  t.deepEqual(redactMessage(EncryptRequestSchema, request as never), { key_id: "alias/a", plaintext: "[REDACTED]", encryption_context: { k: "v" } });
});

test("ciphertexts, data keys and grant tokens are sensitive too", (t) => {
  const response = create(GenerateDataKeyResponseSchema, { ciphertextBlob: new Uint8Array(10), plaintext: new Uint8Array(32), keyId: "arn" });
  t.deepEqual(redactMessage(GenerateDataKeyResponseSchema, response as never), { ciphertext_blob: "[REDACTED]", plaintext: "[REDACTED]", key_id: "arn" });
  const grant = create(CreateGrantResponseSchema, { grantToken: "token-value", grantId: "g1" });
  t.deepEqual(redactMessage(CreateGrantResponseSchema, grant as never), { grant_token: "[REDACTED]", grant_id: "g1" });
});

test("every field of the contract that holds plaintext, secrets, tokens, ciphertext or a message to sign is marked sensitive", (t) => {
  const files = [symmetricFile, asymmetricFile, grantsFile, importFile, keysFile];
  const risky = /plaintext|secret|token|ciphertext|encrypted_key_material|^message$/;
  const unmarked: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const message of file.messages) {
      for (const field of message.fields) {
        if (!risky.test(field.name)) continue;
        checked++;
        if (!(hasOption(field, sensitive) && getOption(field, sensitive))) unmarked.push(`${message.name}.${field.name}`);
      }
    }
  }
  t.deepEqual(unmarked, []);
  t.true(checked > 40);
});
