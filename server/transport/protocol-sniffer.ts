import type { Socket } from "node:net";

/** What every HTTP/2 connection with prior knowledge starts with (RFC 9113, section 3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** How long a new connection may take to show which protocol it speaks. */
const FIRST_BYTES_MS = 10_000;

/**
 * Reads just enough of a new connection to tell an HTTP/2 preface from an HTTP/1.1 request,
 * puts the bytes back, and hands the socket on.
 */
export function createProtocolSniffer(onHttp2: (socket: Socket) => void, onHttp1: (socket: Socket) => void, firstBytesMs = FIRST_BYTES_MS): (socket: Socket) => void {
  return (socket) => {
    let seen = Buffer.alloc(0);
    // A connection that says nothing (or only part of a preface) does not hold a socket for ever.
    const onTimeout = () => socket.destroy();
    socket.setTimeout(firstBytesMs);
    socket.once("timeout", onTimeout);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, HTTP2_PREFACE.length);
      const matches = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      if (matches && n < HTTP2_PREFACE.length) return;
      socket.off("data", onData);
      socket.off("timeout", onTimeout);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(seen);
      // Both servers pick up the unshifted bytes from the socket's buffer: http2 reads them
      // into its session, the HTTP/1.1 parser when the socket flows again.
      if (matches) {
        onHttp2(socket);
      } else {
        onHttp1(socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  };
}
