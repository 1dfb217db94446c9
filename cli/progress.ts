/**
 * A progress line on stderr for long work: bytes done, of how many when known, and throughput,
 * redrawn at most a few times a second; silent when stderr is not a terminal unless forced.
 */
export function progressReporter(label: string, total: number | undefined, options: { force?: boolean; err?: NodeJS.WriteStream } = {}) {
  const err = options.err ?? process.stderr;
  const enabled = options.force === true || err.isTTY === true;
  const started = performance.now();
  let done = 0;
  let lastDraw = 0;
  const draw = (final: boolean) => {
    const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
    const mib = done / 1048576;
    const rate = mib / seconds;
    const share = total ? ` ${((100 * done) / Math.max(total, 1)).toFixed(0).padStart(3)}%` : "";
    const bar = total ? ` [${"#".repeat(Math.round((20 * done) / Math.max(total, 1))).padEnd(20, ".")}]` : "";
    err.write(`${err.isTTY ? "\r" : ""}${label}${bar}${share} ${mib.toFixed(1)} MiB ${rate.toFixed(1)} MiB/s${final || !err.isTTY ? "\n" : ""}`);
  };
  return {
    add(bytes: number) {
      done += bytes;
      const now = performance.now();
      if (enabled && now - lastDraw > 250) {
        lastDraw = now;
        draw(false);
      }
    },
    finish() {
      if (enabled) draw(true);
    },
  };
}
