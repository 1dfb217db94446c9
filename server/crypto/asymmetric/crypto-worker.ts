import { parentPort } from "node:worker_threads";
import { KmsError } from "../../errors/kms-error.js";
import { generateMlDsaKeyPair } from "./ml-dsa.js";
import { generateMlKemKeyPair, mlKemDecapsulate, mlKemEncapsulate } from "./ml-kem.js";
import { decryptRsaOaep } from "./rsa-oaep.js";
import { sign, verify } from "./signing.js";

/** What a worker runs: the pure core's slow private- and public-key operations. */
export const workerOperations = { sign, verify, decryptRsaOaep, generateMlDsaKeyPair, generateMlKemKeyPair, mlKemEncapsulate, mlKemDecapsulate };

/** A job's answer: the result, or a refusal to rethrow as the same KmsError. */
export type WorkerReply = { id: number; result: unknown } | { id: number; exception?: KmsError["exception"]; message: string };

parentPort?.on("message", ({ id, op, args }: { id: number; op: keyof typeof workerOperations; args: unknown[] }) => {
  let reply: WorkerReply;
  try {
    const result = (workerOperations[op] as (...a: unknown[]) => unknown)(...args);
    reply = { id, result: result instanceof Uint8Array ? new Uint8Array(result) : result };
  } catch (e) {
    reply = e instanceof KmsError ? { id, exception: e.exception, message: e.message } : { id, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
