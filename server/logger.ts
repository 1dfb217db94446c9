import { destination as pinoDestination, pino, type DestinationStream, type Logger } from "pino";

/**
 * The server's JSON logger. Nothing logs headers or credentials, and request bodies are only
 * ever logged after reflection-based redaction of every field the contract marks sensitive
 * (redact-message.ts), so no path-based redaction runs on the hot path.
 *
 * By default lines go to stdout in batches: they gather until 4 KiB are waiting or 100 ms have
 * passed, so a loaded server makes one write(2) for a few dozen request lines instead of one
 * each (a write per line was a tenth of a small call's CPU). Pino flushes what is left when the
 * process exits.
 */
export function createLogger(level: string, destination: DestinationStream = pinoDestination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 })): Logger {
  return pino({ level, base: { service: "kms", pid: process.pid } }, destination);
}
