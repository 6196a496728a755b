import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh database on the test server (the machine's Postgres from DATABASE_URL, or the
 * embedded one the Jest global setup started), dropped by `drop()`. Each app under test
 * gets its own, so suites never see each other's threads.
 */
export async function createTestDatabase(serverUrl = testServerUrl()): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `riser_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** The Postgres server tests use: RISER_TEST_DATABASE_URL (set by the global setup) or DATABASE_URL. */
export function testServerUrl(): string {
  const url = process.env.RISER_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('no test Postgres: run through Jest (its global setup starts one) or set DATABASE_URL');
  return url;
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
