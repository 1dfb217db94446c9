/** The exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The service refused the request (the AWS exception name is on stderr). */
  refused: 1,
  /** The command line was wrong. */
  usage: 2,
  /** Not logged in, or the session expired: run `kms login`. */
  unauthenticated: 3,
  /** A local file could not be read or written. */
  io: 4,
} as const;

/** A failure the CLI reports in one line on stderr, without a stack trace, and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
