import { createTestDatabase } from '@riser/testing';
import { cleanEnv, freePort, startRiserProcess } from '../support/riser-process.js';

describe('REDIS_URL pointing at no Redis', () => {
  it('refuses to start, naming the server but not its password', async () => {
    const db = await createTestDatabase();
    const redisPort = await freePort(); // nothing listens there
    const env = cleanEnv({
      PORT: String(await freePort()),
      DATABASE_URL: db.url,
      JWT_SECRET: 's'.repeat(48),
      LOG_LEVEL: 'warn',
      REDIS_URL: `redis://:hunter2-not-logged@127.0.0.1:${redisPort}`,
    });
    try {
      const failure = await startRiserProcess(env, 30_000).then(
        (riser) => {
          riser.child.kill('SIGKILL');
          return undefined;
        },
        (err: Error) => err.message,
      );
      expect(failure).toBeDefined();
      expect(failure).toMatch(/exited with 1/);
      expect(failure).toContain(`Redis at redis://:***@127.0.0.1:${redisPort}`);
      expect(failure).toContain('is unreachable');
      expect(failure).not.toContain('hunter2');
    } finally {
      await db.drop();
    }
  });
});
