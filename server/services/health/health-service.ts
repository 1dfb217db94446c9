import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { HealthCheckResponse_ServingStatus, type Health } from "../../../gen/grpc/health/v1/health_pb.js";

/** Whether the server serves: false once it starts draining or its store is closed. */
export interface HealthState {
  serving: boolean;
}

/**
 * The standard gRPC health service (Check), without credentials, for load balancers and
 * probes. "" asks about the server as a whole, a service name about that service.
 */
export function createHealthService(state: HealthState, services: readonly string[]): Partial<ServiceImpl<typeof Health>> {
  const known = new Set(["", ...services]);
  return {
    check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service ${JSON.stringify(req.service.slice(0, 100))}`, Code.NotFound);
      return { status: state.serving ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING };
    },
  };
}
