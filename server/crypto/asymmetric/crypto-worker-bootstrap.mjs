// A worker thread does not inherit the TypeScript loader the server runs under (tsx), so it
// registers it before loading the worker itself.
import { register } from "tsx/esm/api";

register();
await import("./crypto-worker.ts");
