/**
 * A token bucket: `ratePerSecond` requests a second on average, bursts up to one second's worth.
 * Pure: the caller passes the time.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    private readonly ratePerSecond: number,
    now: number,
  ) {
    this.#tokens = ratePerSecond;
    this.#at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    // A clock that steps back (an NTP correction) adds nothing rather than a debt.
    this.#tokens = Math.min(this.ratePerSecond, this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.ratePerSecond);
    this.#at = Math.max(this.#at, now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
