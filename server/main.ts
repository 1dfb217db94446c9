import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startKmsServer } from "./server.js";

// `npm start`: configuration from KMS_* environment variables, embedded LevelDB defaults.
const config = loadConfig();
const logger = createLogger(config.logLevel);
try {
  const server = await startKmsServer(config, { logger });
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} catch (error) {
  logger.fatal({ err: error }, "the server could not start");
  process.exit(1);
}
