import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { rsaModulusBytes } from "../../domain/key-specs.js";
import { cryptoWorkers } from "./crypto-worker-pool.js";
import { isMlDsaSpec } from "./ml-dsa.js";
import { decryptRsaOaep } from "./rsa-oaep.js";
import { sign, verify } from "./signing.js";

/**
 * RSA and ML-DSA operations cost milliseconds and go to worker threads; elliptic-curve,
 * Ed25519 and HMAC ones cost tens of microseconds, less than the hand-off, and run inline.
 */
function slow(spec: KeySpec): boolean {
  return rsaModulusBytes.has(spec) || isMlDsaSpec(spec);
}

/** sign(), off the event loop for slow specs. */
export async function signOffLoop(...args: Parameters<typeof sign>): Promise<Buffer> {
  return slow(args[0]) ? cryptoWorkers.run("sign", ...args) : sign(...args);
}

/** verify(), off the event loop for slow specs. */
export async function verifyOffLoop(...args: Parameters<typeof verify>): Promise<boolean> {
  return slow(args[0]) ? cryptoWorkers.run("verify", ...args) : verify(...args);
}

/** decryptRsaOaep(), always off the event loop (an RSA private-key operation). */
export function decryptRsaOaepOffLoop(...args: Parameters<typeof decryptRsaOaep>): Promise<Buffer | undefined> {
  return cryptoWorkers.run("decryptRsaOaep", ...args);
}
