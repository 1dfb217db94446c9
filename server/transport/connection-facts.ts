import type { TLSSocket } from "node:tls";
import type { ConnectionFacts } from "../authorization/condition-context.js";

/** What the connection says about the caller: its address, TLS, and a verified client certificate. */
export function connectionFacts(socket: { remoteAddress?: string | undefined }, tls: boolean): ConnectionFacts {
  const facts: { sourceIp?: string; secureTransport: boolean; clientCertificateCn?: string } = { secureTransport: tls };
  if (socket.remoteAddress !== undefined) facts.sourceIp = socket.remoteAddress;
  const secure = socket as Partial<TLSSocket>;
  if (tls && secure.authorized === true && typeof secure.getPeerCertificate === "function") {
    const cn = secure.getPeerCertificate().subject?.CN;
    if (typeof cn === "string" && cn !== "") facts.clientCertificateCn = cn;
  }
  return facts;
}
