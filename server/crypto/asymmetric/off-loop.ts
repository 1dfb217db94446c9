import { KeySpec } from "../../../gen/kms/v1/types_pb.js";
import { rsaModulusBytes } from "../../domain/key-specs.js";
import { cryptoWorkers } from "./crypto-worker-pool.js";
import { isMlDsaSpec } from "./ml-dsa.js";
import type { mlKemDecapsulate, mlKemEncapsulate } from "./ml-kem.js";
import { decryptRsaOaep } from "./rsa-oaep.js";
import { sign, verify } from "./signing.js";

/**
 * RSA private-key operations and ML-DSA cost milliseconds and go to worker threads; public-key
 * RSA operations, elliptic-curve, Ed25519 and HMAC ones cost tens to hundreds of microseconds
 * (with the parsed key cached), about the cost of the hand-off, and run inline.
 */
function slowPrivate(spec: KeySpec): boolean {
  return rsaModulusBytes.has(spec) || isMlDsaSpec(spec);
}

/** sign(), off the event loop for slow specs. */
export async function signOffLoop(...args: Parameters<typeof sign>): Promise<Buffer> {
  return slowPrivate(args[0]) ? cryptoWorkers.run("sign", ...args) : sign(...args);
}

/** verify(), off the event loop for ML-DSA. */
export async function verifyOffLoop(...args: Parameters<typeof verify>): Promise<boolean> {
  return isMlDsaSpec(args[0]) ? cryptoWorkers.run("verify", ...args) : verify(...args);
}

/** decryptRsaOaep(), always off the event loop (an RSA private-key operation). */
export function decryptRsaOaepOffLoop(...args: Parameters<typeof decryptRsaOaep>): Promise<Buffer | undefined> {
  return cryptoWorkers.run("decryptRsaOaep", ...args);
}

/** ML-KEM encapsulation and decapsulation (1 to 3 ms each), always off the event loop. */
export function mlKemEncapsulateOffLoop(...args: Parameters<typeof mlKemEncapsulate>): Promise<ReturnType<typeof mlKemEncapsulate>> {
  return cryptoWorkers.run("mlKemEncapsulate", ...args);
}

export function mlKemDecapsulateOffLoop(...args: Parameters<typeof mlKemDecapsulate>): Promise<Uint8Array> {
  return cryptoWorkers.run("mlKemDecapsulate", ...args);
}
