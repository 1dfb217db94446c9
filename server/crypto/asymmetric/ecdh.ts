import { createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import { KeyAgreementAlgorithmSpec, KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { keyAgreementAlgorithmFits } from "../../domain/key-specs.js";
import { KmsError } from "../../errors/kms-error.js";
import { importPrivateKey, keyMatchesSpec } from "./key-objects.js";

/**
 * ECDH as DeriveSharedSecret does it: our private key (PKCS#8 DER) and the peer's DER
 * SubjectPublicKeyInfo give the raw shared secret, the x-coordinate of the shared point
 * (field-size bytes), with no KDF applied; AWS leaves key derivation to the caller.
 */
export function deriveSharedSecret(spec: KeySpec, algorithm: KeyAgreementAlgorithmSpec, privateKey: Uint8Array, peerPublicKeySpkiDer: Uint8Array): Buffer {
  if (!keyAgreementAlgorithmFits(spec, algorithm)) {
    throw new KmsError("InvalidKeyUsageException", `Key agreement algorithm ${KeyAgreementAlgorithmSpec[algorithm] ?? algorithm} is not valid for key spec ${KeySpec[spec] ?? spec}`);
  }
  const peer = parsePeerKey(peerPublicKeySpkiDer);
  if (!keyMatchesSpec(peer, spec)) throw new KmsError("ValidationException", `PublicKey must be an elliptic curve key on the same curve as the KMS key (${KeySpec[spec]})`);
  return diffieHellman({ privateKey: importPrivateKey(spec, privateKey), publicKey: peer });
}

/** OpenSSL checks the point is on its curve while decoding, so an invalid point fails here too. */
function parsePeerKey(spkiDer: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
  } catch {
    throw new KmsError("ValidationException", "PublicKey is not a valid DER-encoded SubjectPublicKeyInfo");
  }
}
