import { pino, type DestinationStream, type Logger } from "pino";

/**
 * The server's JSON logger. Nothing logs headers or credentials, and request bodies are only
 * ever logged after reflection-based redaction of every field the contract marks sensitive
 * (redact-message.ts), so no path-based redaction runs on the hot path.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: "kms", pid: process.pid } }, destination);
}
