import { writeSync } from "node:fs";

/** How a batched destination writes, flushes and bounds what waits. */
export interface BatchedLogOptions {
  /** Lines are written once this many characters wait (64 Ki). */
  readonly batchBytes?: number;
  /** ...or at least this often, so a quiet server's lines still appear promptly (100 ms). */
  readonly intervalMs?: number;
  /** Past this many waiting characters (a reader that stopped reading), lines are dropped and counted (16 Mi). */
  readonly maxPendingBytes?: number;
  /** How long the exit flush keeps retrying a descriptor that says EAGAIN (1 s). */
  readonly exitRetryMs?: number;
}

/** The write(2) the destination uses: fs.writeSync's shape. */
export type WriteFn = (fd: number, data: Uint8Array) => number;

/** Errors after which nobody will read what we write: logging stops. */
const GONE = new Set(["EPIPE", "EBADF"]);

/**
 * Pino's destination for the server's log lines: they gather in memory and are written with one
 * synchronous write(2) per batch (64 KiB or 100 ms), and what is left is written at exit.
 *
 * Why not pino's own sonic-boom: it measures the whole pending chunk's byte length on every line
 * and re-encodes each written chunk, and its asynchronous writes hop to the thread pool; together
 * about 6 us a line, more than pino takes to serialize it (3 us). This costs about 1 us.
 *
 * Like pino's default destination and Node's own stdout on a pipe, a reader that blocks the pipe
 * blocks the server when a batch is written. A non-blocking descriptor (EAGAIN) keeps what it
 * did not take for the timer to retry, and lines gather up to maxPendingBytes; lines past it, or
 * lost to a failed write (ENOSPC, EIO), are counted, and the count is logged once writing works.
 */
export class BatchedLogDestination {
  readonly #batchBytes: number;
  readonly #maxPendingBytes: number;
  readonly #exitRetryMs: number;
  #pending: string[] = [];
  /** Characters waiting, with the unwritten bytes: close enough to bytes for the bounds (the lines are JSON, nearly all ASCII). */
  #pendingLength = 0;
  /** What a non-blocking descriptor did not take; written before anything newer. */
  #unwritten: Buffer | undefined;
  #dropped = 0;
  #gone = false;

  constructor(
    private readonly fd: number,
    options: BatchedLogOptions = {},
    private readonly writeFn: WriteFn = writeSync,
  ) {
    this.#batchBytes = options.batchBytes ?? 64 * 1024;
    this.#maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.#exitRetryMs = options.exitRetryMs ?? 1000;
    setInterval(() => this.flushSync(), options.intervalMs ?? 100).unref();
    process.once("exit", () => this.#flushAtExit());
  }

  write(line: string): void {
    if (this.#gone) return;
    if (this.#pendingLength + line.length > this.#maxPendingBytes) {
      this.#dropped++;
      return;
    }
    this.#pending.push(line);
    this.#pendingLength += line.length;
    // While the descriptor is refusing, only the timer retries: not one attempt per line.
    if (this.#pendingLength >= this.#batchBytes && !this.#unwritten) this.flushSync();
  }

  /** Writes what waits, as far as the descriptor takes it; returns whether anything is still waiting. */
  flushSync(): boolean {
    if (this.#gone) return false;
    if (this.#unwritten) {
      this.#unwritten = this.#writeAll(this.#unwritten);
      if (this.#unwritten) return true;
    }
    if (this.#dropped > 0) {
      this.#pending.unshift(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg: "log lines dropped: the log could not be written fast enough", dropped: this.#dropped })}\n`);
      this.#dropped = 0;
    }
    if (this.#pending.length > 0) {
      const lines = this.#pending;
      this.#pending = [];
      this.#unwritten = this.#writeAll(Buffer.from(lines.join("")), lines.length);
    }
    this.#pendingLength = this.#unwritten?.length ?? 0;
    return this.#unwritten !== undefined;
  }

  /** At exit there is no later turn: a refusing descriptor is retried for a moment, then given up. */
  #flushAtExit(): void {
    const waiter = new Int32Array(new SharedArrayBuffer(4));
    for (const deadline = Date.now() + this.#exitRetryMs; this.flushSync() && Date.now() < deadline; ) Atomics.wait(waiter, 0, 0, 1);
  }

  /** Writes data; returns what a non-blocking descriptor did not take. */
  #writeAll(data: Buffer, lines = 0): Buffer | undefined {
    try {
      while (data.length > 0) data = data.subarray(this.writeFn(this.fd, data));
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (code === "EAGAIN") return data;
      if (GONE.has(code)) this.#gone = true;
      else this.#dropped += lines; // ENOSPC, EIO: this batch is lost; the count says so later
      return undefined;
    }
  }
}

let stdout: BatchedLogDestination | undefined;

/** The one batched destination for stdout in this process (one timer and one exit flush). */
export function stdoutDestination(): BatchedLogDestination {
  return (stdout ??= new BatchedLogDestination(1));
}
