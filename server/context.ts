import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Region } from "./domain/region.js";

/** Per-request facts that interceptors fill in and the request log line reports. */
export interface RequestContext {
  readonly requestId: string;
  readonly logger: Logger;
  region?: string;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

export const requestContextKey = createContextKey<RequestContext | undefined>(undefined, { description: "request context" });
export const regionKey = createContextKey<Region | undefined>(undefined, { description: "the request's region" });
export const clockKey = createContextKey<Clock>(() => Date.now(), { description: "clock" });

/** The region the region interceptor resolved; its absence is a wiring bug, not a client error. */
export function requireRegion(ctx: HandlerContext): Region {
  const region = ctx.values.get(regionKey);
  if (!region) throw new Error("no region in context: is the region interceptor installed?");
  return region;
}

/** The current time from the request's clock. */
export function now(ctx: HandlerContext): number {
  return ctx.values.get(clockKey)();
}
