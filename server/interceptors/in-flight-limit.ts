import type { Interceptor } from "@connectrpc/connect";
import { KmsError } from "../errors/kms-error.js";

/**
 * Back-pressure: at most `max` requests are worked on at once; beyond that a request is refused
 * at once with ThrottlingException (RESOURCE_EXHAUSTED) rather than queued, so an overload
 * shows as fast refusals that clients retry, not as every request getting slow.
 */
export function createInFlightLimitInterceptor(max: number): Interceptor {
  let inFlight = 0;
  return (next) => async (req) => {
    if (inFlight >= max) throw new KmsError("ThrottlingException", `the server is working on ${max} requests already; retry with backoff`);
    inFlight++;
    try {
      return await next(req);
    } finally {
      inFlight--;
    }
  };
}
