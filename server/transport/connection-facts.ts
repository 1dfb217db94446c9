import type { TLSSocket } from "node:tls";
import type { ConnectionFacts } from "../authorization/condition-context.js";

/** Facts by connection: they hold for every request on it, and reading them costs system calls. */
const factsOf = new WeakMap<object, ConnectionFacts>();

/** What the connection says about the caller: its address, TLS, and a verified client certificate. */
export function connectionFacts(socket: { remoteAddress?: string | undefined }, tls: boolean): ConnectionFacts {
  let facts = factsOf.get(socket);
  if (!facts) factsOf.set(socket, (facts = readFacts(socket, tls)));
  return facts;
}

function readFacts(socket: { remoteAddress?: string | undefined }, tls: boolean): ConnectionFacts {
  const facts: { sourceIp?: string; secureTransport: boolean; clientCertificateCn?: string } = { secureTransport: tls };
  if (socket.remoteAddress !== undefined) facts.sourceIp = socket.remoteAddress;
  const secure = socket as Partial<TLSSocket>;
  if (tls && secure.authorized === true && typeof secure.getPeerCertificate === "function") {
    const cn = secure.getPeerCertificate().subject?.CN;
    if (typeof cn === "string" && cn !== "") facts.clientCertificateCn = cn;
  }
  return facts;
}
