import { DataKeyPairSpec } from "../../../gen/kms/v1/types_pb.js";
import { keySpecOfDataKeyPair } from "../../domain/key-specs.js";
import { generateAsymmetricKeyPair } from "./key-generation.js";

/** What GenerateDataKeyPair hands out: the private key in the clear (PKCS#8 DER) and the public key (DER SPKI). */
export interface DataKeyPair {
  readonly privateKeyPkcs8Der: Buffer;
  readonly publicKeySpkiDer: Buffer;
}

/** A fresh key pair for GenerateDataKeyPair; the caller encrypts the private key under the KMS key. */
export async function generateDataKeyPair(spec: DataKeyPairSpec): Promise<DataKeyPair> {
  const keySpec = keySpecOfDataKeyPair(spec);
  if (keySpec === undefined) throw new TypeError(`data key pair spec ${DataKeyPairSpec[spec] ?? spec} is not supported`);
  const { privateKey, publicKeySpkiDer } = await generateAsymmetricKeyPair(keySpec);
  return { privateKeyPkcs8Der: privateKey, publicKeySpkiDer };
}
