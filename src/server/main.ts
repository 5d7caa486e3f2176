/** `npm start`: serve DATA_DIR on PORT until SIGINT or SIGTERM. */
import { startServer } from './app.js';
import { readConfig, redactedConfig } from './config.js';
import { createLogger } from './logger.js';
import { startTelemetry } from './telemetry.js';
import { VERSION } from './version.js';

const config = readConfig();
const logger = createLogger(config.logLevel);
logger.info(
  { version: VERSION, node: process.version, config: redactedConfig(config) },
  `transcript-subgraph ${VERSION} starting on Node ${process.version}`,
);

try {
  // Before the server, so its first load is traced; shut down after it, so the last requests' spans go out.
  const telemetry = await startTelemetry({ ...config.tracing, serviceVersion: VERSION, logger });
  const server = await startServer(config, { logger, telemetry });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
    server.stop().then(
      async ({ drained, abandoned }) => {
        await telemetry.shutdown();
        logger.info({ drained, abandoned }, `stopped: ${drained} requests drained, ${abandoned} cut off`);
        // The last line must reach stdout before the process ends.
        logger.flush(() => process.exit(0));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush(() => process.exit(1));
      },
    );
  };
  // `on`, not `once`: a listener must stay registered while draining, or a loader such as tsx, seeing no
  // listener left, re-sends the signal and the process dies mid-drain.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, `cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
