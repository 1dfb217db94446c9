import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import type { connectNodeAdapter } from "@connectrpc/connect-node";
import type { StreamHandler } from "../grpc/grpc-fast-path.js";
import { createProtocolSniffer } from "./protocol-sniffer.js";

/**
 * At most 100 requests at once on one connection (HTTP/2 allows 2^32 - 1 unless told): each may
 * buffer a body of up to 4 MiB before any check runs, so one connection could otherwise hold
 * gigabytes. Clients queue beyond it.
 */
const MAX_STREAMS = 100;
const HTTP2_SETTINGS: http2.Settings = { maxConcurrentStreams: MAX_STREAMS };

/** How long an HTTP/2 connection may be idle before it is closed (KMS_CONNECTION_IDLE_SECONDS). */
const DEFAULT_IDLE_MS = 120_000;

/** The request handler connect-node builds; it serves both HTTP/1.1 and HTTP/2 requests. */
export type NodeHandlerFn = ReturnType<typeof connectNodeAdapter>;

/** TLS material, PEM. */
export interface TlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When set, clients may present a certificate issued by this CA (it is asked for, not required). */
  readonly clientCa?: Buffer;
}

/** One port that serves gRPC, gRPC-web and Connect, and shuts down gracefully. */
export interface HttpListener {
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

/** A request being served: an HTTP/2 stream, or an HTTP/1.1 response. */
type InFlight = http2.ServerHttp2Stream | Parameters<NodeHandlerFn>[1];

/**
 * Without TLS, HTTP/2 needs prior knowledge (gRPC) while browsers and curl speak HTTP/1.1, so a
 * sniffer routes each connection by its first bytes. With TLS, ALPN does the same job.
 * `streams` is offered every HTTP/2 stream first, before `handler` gets it as a request.
 */
export function createHttpListener(handler: NodeHandlerFn, tls?: TlsOptions, streams?: StreamHandler, idleMs = DEFAULT_IDLE_MS): HttpListener {
  const inFlight = new Set<InFlight>();
  let drained: (() => void) | undefined;
  const finished = (entry: InFlight) => {
    inFlight.delete(entry);
    if (inFlight.size === 0) drained?.();
  };
  const counted: NodeHandlerFn = (req, res) => {
    inFlight.add(res);
    res.once("close", () => finished(res));
    handler(req, res);
  };
  // A stream served directly counts until its work is done, not until the stream closes: a
  // client may reset it while its call still runs (and writes), and draining must wait for that.
  const direct =
    streams &&
    ((stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean => {
      const serving = streams(stream, headers);
      if (!serving) return false;
      inFlight.add(stream);
      const done = () => finished(stream);
      serving.then(done, done);
      return true;
    });

  const sockets = new Set<Socket>();
  const sessions = new Set<http2.Http2Session>();
  const trackSession = (session: http2.Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // A connection idle that long is closed, and so are requests still being sent on it: held
    // sockets and buffered bodies are not free. A call that is answering (a health Watch waiting
    // for a change) keeps its connection.
    // Closed streams are dropped when the set grows past the most a connection can have open,
    // rather than by a listener on every stream of the hot path.
    const open = new Set<http2.ServerHttp2Stream>();
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      if (open.size > MAX_STREAMS) for (const s of open) if (s.closed) open.delete(s);
      open.add(stream);
    });
    session.setTimeout(idleMs, () => {
      let answering = false;
      for (const stream of open) {
        if (stream.closed) open.delete(stream);
        else if (stream.readableEnded) answering = true;
        else stream.close(http2.constants.NGHTTP2_CANCEL);
      }
      if (!answering) session.destroy();
    });
  };

  let outer: net.Server;
  let http1: http.Server | undefined;
  if (tls) {
    const secure = http2.createSecureServer(
      { cert: tls.cert, key: tls.key, allowHTTP1: true, settings: HTTP2_SETTINGS, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}) },
      counted,
    );
    secure.on("session", trackSession);
    if (direct) offerStreamsFirst(secure, direct);
    outer = secure;
  } else {
    const h2 = http2.createServer({ settings: HTTP2_SETTINGS }, counted);
    h2.on("session", trackSession);
    if (direct) offerStreamsFirst(h2, direct);
    http1 = http.createServer({ requestTimeout: idleMs }, counted);
    outer = net.createServer(createProtocolSniffer((socket) => h2.emit("connection", socket), (socket) => http1!.emit("connection", socket)));
  }
  outer.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  return {
    async listen(host, port) {
      outer.listen(port, host);
      await once(outer, "listening");
      return outer.address() as AddressInfo;
    },
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => outer.close(() => resolve()));
      for (const session of sessions) session.close();
      http1?.closeIdleConnections();
      if (inFlight.size > 0) {
        const done = new Promise<void>((resolve) => (drained = resolve));
        for (const deadline = Date.now() + graceMs; inFlight.size > 0 && Date.now() < deadline; ) {
          for (const res of inFlight) endAnsweredStream(res);
          await Promise.race([done, delay(Math.min(25, deadline - Date.now()))]);
        }
      }
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Node's HTTP/2 server turns every stream into a compatibility request and response (two
 * stream objects, header copies) before any 'request' listener runs, and that costs more than
 * a small gRPC call itself. A stream the direct handler takes never becomes one: the server's
 * 'stream' event goes to the compatibility layer only when the handler declines it.
 */
function offerStreamsFirst(server: http2.Http2Server | http2.Http2SecureServer, direct: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean): void {
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === "stream" && direct(args[0] as http2.ServerHttp2Stream, args[1] as http2.IncomingHttpHeaders)) return true;
    return emit(event, ...args);
  }) as typeof server.emit;
}

/**
 * An HTTP/2 stream whose response is complete (END_STREAM sent) while the client keeps its side
 * open, as a bidirectional stream's client may (the reflection stream a tool leaves open), is
 * closed with RST_STREAM NO_ERROR, as RFC 9113 (8.1) allows, so that draining does not wait on
 * it for the whole grace period.
 */
function endAnsweredStream(entry: InFlight): void {
  const stream = "respond" in entry ? entry : "stream" in entry ? entry.stream : undefined;
  if (!stream) return;
  if (stream.closed || stream.destroyed) return;
  const state = stream.state;
  if (state.localClose === 1 && state.remoteClose !== 1) stream.close(http2.constants.NGHTTP2_NO_ERROR);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
