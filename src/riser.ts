import { loadConfig } from './config/riser-config.js';
import { createApp } from './configure-app.js';

/**
 * Riser from an environment, ready to listen: what `@riser/testing`'s `startRiser` and
 * users' own e2e suites start in process. The environment is merged over process.env.
 */
export async function createRiser(env: Record<string, string>) {
  const config = loadConfig({ ...process.env, ...env });
  const app = await createApp(config);
  return {
    app,
    config,
    async listen(port: number, host: string): Promise<string> {
      await app.listen({ port, host });
      return (await app.getUrl()).replace('[::1]', '127.0.0.1');
    },
    close: () => app.close(),
  };
}
