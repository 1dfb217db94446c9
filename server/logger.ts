import { pino, type DestinationStream, type Logger } from "pino";

/**
 * The server's JSON logger. Request bodies are only ever logged after reflection-based
 * redaction (redact-message.ts); the paths below are a second guard for headers.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "kms", pid: process.pid },
      redact: { paths: ["headers.authorization", "*.headers.authorization", "*.secret_access_key", "*.secretAccessKey"], censor: "[REDACTED]" },
    },
    destination,
  );
}
