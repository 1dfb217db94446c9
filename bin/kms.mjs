#!/usr/bin/env node
// The `kms` command: the CLI is TypeScript, run through tsx's loader like the server.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../cli/main.ts");
process.exitCode = await run(process.argv.slice(2));
