/** One measured operation: how many per second, and the time per operation. */
export interface Measurement {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly microsecondsPerOp: number;
}

/**
 * Runs fn repeatedly for about `ms` milliseconds (after a short warm-up) and reports its rate.
 * Synchronous on purpose: these are the pure parts, measured without I/O.
 */
export function measure(name: string, fn: () => unknown, ms: number): Measurement {
  const warmStarted = performance.now();
  const warmUntil = warmStarted + Math.min(200, ms / 5);
  let warmOps = 0;
  while (performance.now() < warmUntil) (fn(), warmOps++);
  // Batches of about a millisecond between clock reads: 100 for fast parts, 1 for an ML-DSA signature.
  const batch = Math.max(1, Math.min(100, Math.round(warmOps / (performance.now() - warmStarted))));
  let ops = 0;
  const started = performance.now();
  const until = started + ms;
  while (performance.now() < until) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
  }
  const elapsed = performance.now() - started;
  return { name, opsPerSecond: Math.round((ops / elapsed) * 1000), microsecondsPerOp: Math.round(((elapsed * 1000) / ops) * 100) / 100 };
}
