import { ConfigError, loadConfig } from "./config.js";
import { createLogger, startService } from "./service.js";

/** `npm start` / `medblocks serve`: run the service until SIGTERM or SIGINT, then shut down cleanly. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`medblocks: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let service;
  try {
    service = await startService(config, { logger });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`medblocks: ${error.message}\n`);
      process.exit(1);
    }
    logger.fatal({ err: error }, "the service could not start");
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

