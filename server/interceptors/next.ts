import type { Interceptor } from "@connectrpc/connect";

/** The rest of the chain, as an interceptor receives it (connect does not export its name). */
export type Next = Parameters<Interceptor>[0];

/** A request as it passes through the chain: unary or streaming. */
export type ChainRequest = Parameters<Next>[0];
