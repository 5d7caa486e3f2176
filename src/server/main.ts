/** `npm start`: serve DATA_DIR on PORT until SIGINT or SIGTERM. */
import { startServer } from './app.js';
import { readConfig } from './config.js';
import { createLogger } from './logger.js';

const config = readConfig();
const logger = createLogger(config.logLevel);

try {
  const server = await startServer(config, { logger });
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, `cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
