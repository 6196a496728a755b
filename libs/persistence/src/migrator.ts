import type pg from 'pg';
import { createHash } from 'node:crypto';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { RUN_RULES_SQL } from './rules/run-rules.js';

/** Any 64-bit number unique to Riser: replicas starting together take turns on it. */
const MIGRATION_LOCK = 0x52_69_73_65_72_01;

/**
 * Applies pending migrations in one transaction each, under an advisory lock so that
 * replicas starting at the same time do not race, then the run rules when they changed.
 * Returns the migration ids it applied.
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS, rules = RUN_RULES_SQL): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE SCHEMA IF NOT EXISTS riser');
    await client.query(`CREATE TABLE IF NOT EXISTS riser.migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ id: number }>('SELECT id FROM riser.migrations')).rows.map((r) => r.id),
    );
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO riser.migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.id} (${migration.name}) failed: ${(err as Error).message}`);
      }
      applied.push(migration.id);
    }
    await applyRules(client, rules);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/**
 * The run rules (rules/run-rules.ts) are re-created, in one transaction, whenever their text
 * changes: the schema is dropped and made again, so a function can change its signature.
 */
async function applyRules(client: pg.PoolClient, sql: string): Promise<void> {
  const hash = createHash('sha256').update(sql).digest('hex');
  await client.query('CREATE TABLE IF NOT EXISTS riser.rules (name text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const { rows } = await client.query<{ hash: string }>(`SELECT hash FROM riser.rules WHERE name = 'run-rules'`);
  if (rows[0]?.hash === hash) return;
  await client.query('BEGIN');
  try {
    await client.query('DROP SCHEMA IF EXISTS riser_rules CASCADE');
    await client.query(sql);
    await client.query(
      `INSERT INTO riser.rules (name, hash) VALUES ('run-rules', $1) ON CONFLICT (name) DO UPDATE SET hash = EXCLUDED.hash, applied_at = now()`,
      [hash],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw new Error(`run rules failed to apply: ${(err as Error).message}`);
  }
}
