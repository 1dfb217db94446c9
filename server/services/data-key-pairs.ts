import { DataKeyPairSpec } from "../../gen/kms/v1/types_pb.js";
import type { KeyScope } from "../context.js";
import { generateDataKeyPair } from "../crypto/asymmetric/data-key-pair.js";
import type { EncryptionContext } from "../crypto/encryption-context.js";
import { keySpecOfDataKeyPair } from "../domain/key-specs.js";
import { checkNewEncryptionContext, stopIfDryRun } from "../domain/validation.js";
import { KmsError, validationError } from "../errors/kms-error.js";
import { encryptWithCurrentVersion, resolveEncryptionKey } from "./symmetric-keys.js";

/** A data key pair as GenerateDataKeyPair* return it; the server keeps none of it. */
export interface IssuedDataKeyPair {
  readonly keyId: string;
  readonly keyMaterialId: string;
  readonly publicKey: Buffer;
  readonly privateKeyPlaintext: Buffer;
  readonly privateKeyCiphertextBlob: Uint8Array;
}

/**
 * A fresh key pair for envelope encryption: the private key (PKCS#8 DER) encrypted under a
 * symmetric key and its context, an ordinary ciphertext that Decrypt opens; the public key as
 * DER SubjectPublicKeyInfo. Generation runs off the event loop.
 */
export async function issueDataKeyPair(
  scope: KeyScope,
  req: { keyId: string; keyPairSpec: DataKeyPairSpec; encryptionContext: EncryptionContext; dryRun: boolean },
): Promise<IssuedDataKeyPair> {
  if (req.keyPairSpec === DataKeyPairSpec.UNSPECIFIED) throw validationError("key_pair_spec is required");
  if (req.keyPairSpec === DataKeyPairSpec.SM2) throw new KmsError("UnsupportedOperationException", "SM2 key pairs are offered only in AWS China Regions; this server does not support them");
  if (keySpecOfDataKeyPair(req.keyPairSpec) === undefined) throw validationError(`key_pair_spec has an unknown value ${req.keyPairSpec}`);
  checkNewEncryptionContext("encryption_context", req.encryptionContext);
  const key = await resolveEncryptionKey(scope, req.keyId);
  stopIfDryRun(req.dryRun);
  const pair = await generateDataKeyPair(req.keyPairSpec);
  const { ciphertextBlob, keyMaterialId } = await encryptWithCurrentVersion(scope, key, pair.privateKeyPkcs8Der, req.encryptionContext);
  return { keyId: key.arn, keyMaterialId, publicKey: pair.publicKeySpkiDer, privateKeyPlaintext: pair.privateKeyPkcs8Der, privateKeyCiphertextBlob: ciphertextBlob };
}
