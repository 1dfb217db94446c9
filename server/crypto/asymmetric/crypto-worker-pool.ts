import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { KmsError } from "../../errors/kms-error.js";
import type { WorkerReply, workerOperations } from "./crypto-worker.js";

type Operations = typeof workerOperations;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Worker threads for the slow operations of the pure core (RSA private-key operations take 1 to
 * 10 ms, ML-DSA signing up to 20), so that one such request does not stall every other request
 * on the event loop. One worker a core, started on first use and unref'd, so they never keep a
 * process alive; each job goes to the worker with the fewest waiting.
 */
class CryptoWorkerPool {
  readonly #workers: Array<{ worker: Worker; pending: Map<number, Pending> }> = [];
  #nextId = 0;

  run<K extends keyof Operations>(op: K, ...args: Parameters<Operations[K]>): Promise<ReturnType<Operations[K]>> {
    const slot = this.#leastBusy();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      // Copies of byte arrays: a pooled Buffer's whole backing store would be cloned otherwise.
      slot.worker.postMessage({ id, op, args: args.map((a) => (a instanceof Uint8Array ? new Uint8Array(a) : a)) });
    });
  }

  #leastBusy() {
    if (this.#workers.length < availableParallelism()) {
      const free = this.#workers.find((w) => w.pending.size === 0);
      if (free) return free;
      return this.#spawn();
    }
    return this.#workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  #spawn() {
    const worker = new Worker(new URL("./crypto-worker-bootstrap.mjs", import.meta.url));
    const slot = { worker, pending: new Map<number, Pending>() };
    worker.unref();
    worker.on("message", (reply: WorkerReply) => {
      const job = slot.pending.get(reply.id);
      if (!job) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ("result" in reply) job.resolve(reply.result instanceof Uint8Array ? Buffer.from(reply.result.buffer, reply.result.byteOffset, reply.result.byteLength) : reply.result);
      else job.reject(reply.exception ? new KmsError(reply.exception, reply.message) : new Error(`crypto worker: ${reply.message}`));
    });
    worker.on("error", (error) => {
      // A worker that dies fails its jobs and is replaced by the next job's spawn.
      for (const job of slot.pending.values()) job.reject(error);
      this.#workers.splice(this.#workers.indexOf(slot), 1);
    });
    this.#workers.push(slot);
    return slot;
  }
}

export const cryptoWorkers = new CryptoWorkerPool();
