import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test from "ava";

const run = promisify(execFile);

test("npm run bench produces its tables of numbers in smoke mode (nothing about speed is asserted)", async (t) => {
  t.timeout(240_000); // three benchmarks, each starting the real server
  const { stdout } = await run("npm", ["run", "--silent", "bench"], { cwd: fileURLToPath(new URL("..", import.meta.url)), env: { ...process.env, BENCH_SMOKE: "1" } });
  const rows = stdout.split("\n").filter((l) => /^\| (baseline|policy|ciphertext|key material)/.test(l));
  t.is(rows.length, 6);
  for (const row of rows) t.regex(row, /\| \d+ \| [\d.]+ \| [\d.]+ \|$/);
  // The end-to-end table: 8 rows over gRPC and over Connect, each with numbers, no errors.
  const load = stdout.split("\n").filter((l) => /^\| (grpc|connect) \|/.test(l));
  t.is(load.length, 17); // and the @grpc/grpc-js reference
  for (const row of load) t.regex(row, /^\| \w+ \| [^|]+ \| [1-9]\d* \|( [\d.]+ \|){6}$/);
  // Sign and Verify for 11 key specs and GenerateMac, each with numbers end to end and raw.
  const asymmetric = stdout.split("\n").filter((l) => /^\| (Sign|Verify|GenerateMac) \|/.test(l));
  t.is(asymmetric.length, 23);
  for (const row of asymmetric) t.regex(row, /^\| \w+ \| [^|]+ \| [1-9]\d* \|( [\d.]+ \|){5}$/);
});
