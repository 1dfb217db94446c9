import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { HealthCheckResponse_ServingStatus, type Health } from "../../../gen/grpc/health/v1/health_pb.js";

/**
 * Whether the server serves: false once it starts draining or its store is closed. Listeners
 * (Health.Watch) hear of every change; draining is for good, and ends the open Watch and
 * reflection streams so that a graceful close does not wait on them.
 */
export class HealthState {
  #serving = true;
  #draining = false;
  readonly #listeners = new Set<() => void>();

  get serving(): boolean {
    return this.#serving;
  }

  set serving(value: boolean) {
    if (value === this.#serving || this.#draining) return;
    this.#serving = value;
    this.#notify();
  }

  /** True once the server drains. */
  get draining(): boolean {
    return this.#draining;
  }

  /** The start of a graceful close: not serving from now on, and open streams end. */
  drain(): void {
    if (this.#draining) return;
    this.#serving = false;
    this.#draining = true;
    this.#notify();
  }

  /** Calls `listener` on every change of `serving` and when the server drains; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    const entry = () => listener();
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  /** Calls `listener` once when the server drains (at once if it already does); returns the unsubscribe. */
  onDrain(listener: () => void): () => void {
    if (this.#draining) {
      listener();
      return () => undefined;
    }
    const unsubscribe = this.subscribe(() => {
      if (!this.#draining) return;
      unsubscribe();
      listener();
    });
    return unsubscribe;
  }

  /** Resolves at the next change of `serving`, when the server drains, or when `signal` aborts. */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.#draining || signal?.aborted) return resolve();
      const done = () => {
        unsubscribe();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const unsubscribe = this.subscribe(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/**
 * The standard gRPC health service, without credentials, for load balancers and probes. ""
 * asks about the server as a whole, a service name about that service. Check answers once;
 * Watch sends the current status at once and again on every change, and ends when the server
 * drains (after sending NOT_SERVING) or the client goes away. An unknown service is NOT_FOUND
 * for Check and SERVICE_UNKNOWN for Watch, whose stream then stays open, as the protocol says.
 */
export function createHealthService(state: HealthState, services: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  const status = () => (state.serving ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING);
  return {
    check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service ${JSON.stringify(req.service.slice(0, 100))}`, Code.NotFound);
      return { status: status() };
    },
    async *watch(req, context) {
      if (!known.has(req.service)) {
        yield { status: HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN };
        while (!state.draining && !context.signal.aborted) await state.changed(context.signal);
        return;
      }
      let sent: HealthCheckResponse_ServingStatus | undefined;
      for (;;) {
        const current = status();
        if (current !== sent) {
          yield { status: current };
          sent = current;
        }
        if (state.draining || context.signal.aborted) return;
        await state.changed(context.signal);
      }
    },
  };
}
