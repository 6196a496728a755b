import '../libs/run-core/src/langchain-env.js';
import { ConfigError, loadConfig, type RiserConfig } from './config/riser-config.js';
import { createApp } from './configure-app.js';
import { createRootLogger } from './logging/pino-logger.js';

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
  const app = await createApp(config, logger);
  await app.listen({ port: config.port, host: config.host });
  logger.info({ url: await app.getUrl(), port: config.port }, 'Riser is listening');
  if (config.usesDevSecret) {
    logger.info('auth uses the local dev secret: mint a token with `npm run -s token -- --sub <you>`');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Riser failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
