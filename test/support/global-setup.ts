import './resolve-ts-imports.cjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../libs/persistence/src/embedded/embedded-postgres.js';

/**
 * One Postgres for the whole test run: the machine's when DATABASE_URL is set, else an
 * embedded one (real binaries from npm) in a temporary folder. Every app under test then
 * makes its own database on it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.RISER_TEST_DATABASE_URL = process.env.DATABASE_URL;
    console.log(`\ntests use the Postgres at DATABASE_URL`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'riser-test-pg-'));
  const embedded = new EmbeddedPostgres({ dir });
  process.env.RISER_TEST_DATABASE_URL = await embedded.start();
  (globalThis as { __riserTestPostgres?: EmbeddedPostgres }).__riserTestPostgres = embedded;
  console.log(`\ntests use an embedded Postgres (no DATABASE_URL set)`);
}
