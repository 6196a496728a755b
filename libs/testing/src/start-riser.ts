import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from './test-database.js';
import { tokenFactory, type TokenClaims } from './tokens.js';

/** What the app under test needs from the repo's composition root (src/riser.ts). */
export interface RiserFactory {
  (env: Record<string, string>): Promise<{ listen(port: number, host: string): Promise<string>; close(): Promise<void> }>;
}

export interface StartRiserOptions {
  create: RiserFactory;
  /** Environment on top of the test defaults (secret, fresh database, quiet logs, no rate limit). */
  env?: Record<string, string>;
  /** Reuse a database (e.g. to restart on the same data); a fresh one otherwise. */
  databaseUrl?: string;
}

export interface RiserTestApp {
  url: string;
  env: Record<string, string>;
  databaseUrl: string;
  /** Mints a token the app accepts. */
  token(sub: string, claims?: TokenClaims): string;
  /** Closes the app as SIGTERM would (drain, close pool); the database stays. */
  close(): Promise<void>;
  /** Closes the app and drops its database. */
  destroy(): Promise<void>;
}

/**
 * Starts Riser in this process on a random port, against its own fresh database, with a
 * known JWT secret. Real HTTP, real Postgres: tests talk to it as clients do.
 */
export async function startRiser(options: StartRiserOptions): Promise<RiserTestApp> {
  const secret = options.env?.JWT_SECRET ?? randomBytes(32).toString('hex');
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'riser-test-'));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DEMO_TOKEN_DELAY_MS: '0',
    RISER_DATA_DIR: dataDir,
    JWT_SECRET: secret,
    DATABASE_URL: database.url,
    SHUTDOWN_GRACE_MS: '2000',
    // Metrics listen on a port of their own (9464 by default): off unless a test asks.
    METRICS_PORT: '0',
    // Suites start many runs as one principal; a test of the limit sets its own.
    RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  };
  const app = await options.create(env);
  const url = await app.listen(0, '127.0.0.1');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    url,
    env,
    databaseUrl: database.url,
    token: tokenFactory(secret),
    close,
    async destroy() {
      await close();
      await database.drop();
    },
  };
}
