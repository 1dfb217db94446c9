import { checkIntRange } from "../../domain/validation.js";

/** Session lengths in seconds: at least 15 minutes, one hour by default. */
export const SESSION_SECONDS = { min: 900, default: 3600, max: 43_200 } as const;

/** The length of a new session, checked against the allowed range. */
export function sessionSeconds(requested: number | undefined, max: number = SESSION_SECONDS.max): number {
  if (requested === undefined) return Math.min(SESSION_SECONDS.default, max);
  checkIntRange("duration_seconds", requested, { min: SESSION_SECONDS.min, max });
  return requested;
}
