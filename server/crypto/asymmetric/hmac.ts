import { createHmac, timingSafeEqual } from "node:crypto";
import { KeySpec, MacAlgorithmSpec } from "../../../gen/kms/v1/types_pb.js";
import { MAX_MAC_MESSAGE_BYTES, macAlgorithmFits } from "../../domain/key-specs.js";
import { KmsError } from "../../errors/kms-error.js";

const hashes: ReadonlyMap<MacAlgorithmSpec, string> = new Map([
  [MacAlgorithmSpec.HMAC_SHA_224, "sha224"],
  [MacAlgorithmSpec.HMAC_SHA_256, "sha256"],
  [MacAlgorithmSpec.HMAC_SHA_384, "sha384"],
  [MacAlgorithmSpec.HMAC_SHA_512, "sha512"],
]);

/** Refuses an algorithm the spec does not have (InvalidKeyUsageException) and an empty or oversized message. */
function hashFor(spec: KeySpec, algorithm: MacAlgorithmSpec, message: Uint8Array): string {
  const hash = hashes.get(algorithm);
  if (!hash || !macAlgorithmFits(spec, algorithm)) {
    throw new KmsError("InvalidKeyUsageException", `MAC algorithm ${MacAlgorithmSpec[algorithm] ?? algorithm} is not valid for key spec ${KeySpec[spec] ?? spec}`);
  }
  if (message.length < 1 || message.length > MAX_MAC_MESSAGE_BYTES) {
    throw new KmsError("ValidationException", `Message is ${message.length} bytes; a MAC message takes 1 to ${MAX_MAC_MESSAGE_BYTES} bytes`);
  }
  return hash;
}

/** HMAC of the message under the key (RFC 2104), as GenerateMac returns it. */
export function generateMac(spec: KeySpec, algorithm: MacAlgorithmSpec, key: Uint8Array, message: Uint8Array): Buffer {
  return createHmac(hashFor(spec, algorithm, message), key).update(message).digest();
}

/** Whether the MAC matches, compared in constant time; false (never a throw) for a MAC of the wrong length. */
export function verifyMac(spec: KeySpec, algorithm: MacAlgorithmSpec, key: Uint8Array, message: Uint8Array, mac: Uint8Array): boolean {
  const expected = generateMac(spec, algorithm, key, message);
  return mac.length === expected.length && timingSafeEqual(expected, mac);
}
