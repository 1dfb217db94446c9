import { pino, type DestinationStream, type Logger } from "pino";
import { stdoutDestination } from "./log-destination.js";

/**
 * The server's JSON logger. Nothing logs headers or credentials, and request bodies are only
 * ever logged after reflection-based redaction of every field the contract marks sensitive
 * (redact-message.ts), so no path-based redaction runs on the hot path.
 *
 * By default lines go to stdout in batches (log-destination.ts): a loaded server makes one
 * write(2) for a few hundred request lines instead of one each (a write per line was a tenth of
 * a small call's CPU), and what is left is written when the process exits.
 */
export function createLogger(level: string, destination: DestinationStream = stdoutDestination()): Logger {
  return pino({ level, base: { service: "kms", pid: process.pid } }, destination);
}
