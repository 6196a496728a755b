import '../libs/run-core/src/langchain-env.js';
import { ConfigError, loadConfig, type RiserConfig } from './config/riser-config.js';
import { createApp } from './configure-app.js';
import { createRootLogger } from './logging/pino-logger.js';
import { Shutdown } from './lifecycle/shutdown.js';
import { startTracing } from './tracing/tracing-sdk.js';

async function main(): Promise<void> {
  let config: RiserConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const logger = createRootLogger(config.logLevel);
  const tracing = await startTracing(config.tracing);
  if (tracing) logger.info({ otel_service_name: config.tracing.serviceName }, 'OpenTelemetry traces are exported (OTEL_EXPORTER_OTLP_*)');
  const app = await createApp(config, logger);
  await app.listen({ port: config.port, host: config.host });
  const url = await app.getUrl();
  if (config.loopbackForDevSecret) {
    logger.info(
      { url, port: config.port, host: config.host },
      'Riser is listening on 127.0.0.1 only: it uses the generated dev secret (set HOST to listen on other addresses, JWT_SECRET or JWT_JWKS_URI for real tokens)',
    );
  } else {
    logger.info({ url, port: config.port, host: config.host }, 'Riser is listening');
  }
  if (config.usesDevSecret) {
    logger.info('auth uses the local dev secret: mint a token with `npm run -s token -- --sub <you>`');
  }
  // Shutdown is Riser's order, not Nest's default (which re-raises the signal): stop taking
  // runs, let running ones finish within SHUTDOWN_GRACE_MS, end the streams, close the
  // server, the pool, then the embedded Postgres, and exit 0. A second signal exits at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, config.runCore.shutdownGraceMs + 15_000);
    deadline.unref();
    // Riser's own order first (src/lifecycle/shutdown.ts), then Nest closes the server and resources.
    app
      .get(Shutdown)
      .run()
      .then(() => app.close())
      // Spans still batched are sent before the process exits.
      .then(() => tracing?.shutdown())
      .then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`Riser failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
