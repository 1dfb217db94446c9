import { writeSync } from "node:fs";

/** How a batched destination writes, flushes and bounds what waits. */
export interface BatchedLogOptions {
  /** Lines are written once this many bytes wait (64 KiB). */
  readonly batchBytes?: number;
  /** ...or at least this often, so a quiet server's lines still appear promptly (100 ms). */
  readonly intervalMs?: number;
  /** Past this many waiting bytes (a reader that stopped reading), lines are dropped and counted (16 MiB). */
  readonly maxPendingBytes?: number;
}

/** The write(2) the destination uses: fs.writeSync's shape. */
export type WriteFn = (fd: number, data: Uint8Array) => number;

/**
 * Pino's destination for the server's log lines: they gather in memory and are written with one
 * synchronous write(2) per batch (64 KiB or 100 ms), and what is left is written at exit.
 *
 * Why not pino's own sonic-boom: it measures the whole pending chunk's byte length on every line
 * and re-encodes each written chunk, and its asynchronous writes hop to the thread pool; together
 * about 6 us a line, more than pino takes to serialize it (3 us). This costs about 1 us.
 *
 * Like pino's default destination and Node's own stdout on a pipe, a reader that blocks the pipe
 * blocks the server when a batch is written. A non-blocking descriptor (EAGAIN) keeps lines
 * waiting for the next attempt instead, up to maxPendingBytes; lines past it are dropped and the
 * count of them is logged once writing resumes.
 */
export class BatchedLogDestination {
  readonly #batchBytes: number;
  readonly #maxPendingBytes: number;
  #pending: string[] = [];
  /** What a non-blocking descriptor did not take last time; written first. */
  #unwritten: Buffer | undefined;
  /** String length, close enough to bytes for the thresholds (lines are nearly all ASCII JSON). */
  #pendingLength = 0;
  #dropped = 0;
  #broken = false;

  constructor(
    private readonly fd: number,
    options: BatchedLogOptions = {},
    private readonly writeFn: WriteFn = writeSync,
  ) {
    this.#batchBytes = options.batchBytes ?? 64 * 1024;
    this.#maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    setInterval(() => this.flushSync(), options.intervalMs ?? 100).unref();
    process.once("exit", () => this.flushSync());
  }

  write(line: string): void {
    if (this.#broken) return;
    if (this.#pendingLength + line.length > this.#maxPendingBytes) {
      this.#dropped++;
      return;
    }
    this.#pending.push(line);
    this.#pendingLength += line.length;
    if (this.#pendingLength >= this.#batchBytes) this.flushSync();
  }

  /** Writes every waiting line now, as far as the descriptor takes them. */
  flushSync(): void {
    if (this.#broken || (this.#pending.length === 0 && !this.#unwritten)) return;
    if (this.#dropped > 0) {
      this.#pending.push(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg: "log lines dropped: the log reader did not keep up", dropped: this.#dropped })}\n`);
      this.#dropped = 0;
    }
    const lines = Buffer.from(this.#pending.join(""));
    let data = this.#unwritten ? Buffer.concat([this.#unwritten, lines]) : lines;
    this.#pending = [];
    this.#pendingLength = 0;
    this.#unwritten = undefined;
    try {
      while (data.length > 0) data = data.subarray(this.writeFn(this.fd, data));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") {
        this.#unwritten = data;
        this.#pendingLength = data.length;
      } else this.#broken = true; // EPIPE and the like: nobody reads the log any more
    }
  }
}
