import type { Interceptor } from "@connectrpc/connect";
import { regionKey, requestContextKey } from "../context.js";
import type { Region } from "../domain/region.js";
import { KmsError } from "../errors/kms-error.js";

/** The header that picks a request's region. */
export const REGION_HEADER = "x-kms-region";

/**
 * Picks the request's region from x-kms-region (the default region when absent) and hands its
 * keyring to the handler. Each region is a separate keyring, so nothing of one is found from another.
 * Only regional services (the KMS) are resolved.
 */
export function createRegionInterceptor(regions: ReadonlyMap<string, Region>, defaultRegion: string, regionalServices: ReadonlySet<string>): Interceptor {
  const served = [...regions.keys()].join(", ");
  // Not async: it awaits nothing, and a promise per interceptor per request adds up.
  return (next) => (req) => {
    // Identities and the audit trail are global: the region header means nothing to them.
    if (!regionalServices.has(req.service.typeName)) return next(req);
    const name = req.header.get(REGION_HEADER) ?? defaultRegion;
    const region = regions.get(name);
    if (!region) throw new KmsError("ValidationException", `unknown region ${JSON.stringify(name.slice(0, 64))}; this server serves ${served}`);
    req.contextValues.set(regionKey, region);
    const context = req.contextValues.get(requestContextKey);
    if (context) context.region = name;
    return next(req);
  };
}
