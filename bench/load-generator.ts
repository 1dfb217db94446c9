import http2 from "node:http2";

/**
 * A load generator in its own process, so its CPU is not the server's: keeps `concurrency`
 * unary calls in flight over `connections` HTTP/2 connections for `durationMs`, with raw
 * node:http2 (the cheapest client), speaking gRPC or the Connect protocol. Prints one JSON line.
 */
interface Job {
  url: string;
  token?: string;
  protocol: "grpc" | "connect";
  path: string;
  request: string; // base64 of the binary request message
  concurrency: number;
  connections: number;
  durationMs: number;
}

// The job comes in the environment, not argv, so the session token is not in the process list.
const job = JSON.parse(process.env.KMS_BENCH_JOB!) as Job;
const body = Buffer.from(job.request, "base64");
const frame = Buffer.alloc(5 + body.length);
frame.writeUInt32BE(body.length, 1);
body.copy(frame, 5);

const sessions = Array.from({ length: job.connections }, () => http2.connect(job.url));
const headers: http2.OutgoingHttpHeaders = {
  ":method": "POST",
  ":path": job.path,
  ...(job.protocol === "grpc" ? { "content-type": "application/grpc+proto", te: "trailers" } : { "content-type": "application/proto", "connect-protocol-version": "1" }),
  ...(job.token ? { authorization: `Bearer ${job.token}` } : {}),
};

const latencies: number[] = [];
let errors = 0;
let firstError: string | undefined;
const deadline = performance.now() + job.durationMs;

function call(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now();
    const stream = session.request(headers);
    let status = 0;
    let grpcStatus: string | undefined;
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
    });
    stream.on("trailers", (t) => {
      if (t["grpc-status"] !== undefined) grpcStatus = String(t["grpc-status"]);
    });
    stream.on("data", () => {});
    stream.on("close", () => {
      const ok = job.protocol === "grpc" ? status === 200 && grpcStatus === "0" : status === 200;
      if (ok) latencies.push(performance.now() - started);
      else {
        errors++;
        firstError ??= `status ${status} grpc-status ${grpcStatus}`;
      }
      resolve();
    });
    stream.on("error", () => {});
    stream.end(job.protocol === "grpc" ? frame : body);
  });
}

async function worker(i: number): Promise<void> {
  const session = sessions[i % sessions.length]!;
  while (performance.now() < deadline) await call(session);
}

const started = performance.now();
await Promise.all(Array.from({ length: job.concurrency }, (_, i) => worker(i)));
const elapsed = performance.now() - started;
for (const s of sessions) s.close();
latencies.sort((a, b) => a - b);
const pct = (p: number) => (latencies.length === 0 ? 0 : Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! * 1000) / 1000);
console.log(JSON.stringify({ requests: latencies.length, errors, firstError, elapsedMs: elapsed, p50: pct(50), p90: pct(90), p99: pct(99) }));
