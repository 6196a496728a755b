import type { Migration } from './migration.js';

/**
 * The per-tenant cap (MAX_ACTIVE_RUNS_PER_TENANT) counted active runs through the lease
 * index, with a bitmap scan: every admission visited the heap for each index entry left by
 * runs that had ended since the table was last vacuumed (~1 ms after 3,000 one-token runs,
 * growing with the churn), under the tenant's admission lock. An index led by the tenant
 * lets `riser_rules.admit_run` count with an index scan bounded by the cap, which marks dead
 * entries as it passes them so the next admission skips them.
 *
 * Built without CONCURRENTLY (migrations run in a transaction): it covers active runs only,
 * but the build reads the whole table while holding off writes to it.
 */
export const activeRunsByTenant: Migration = {
  id: 9,
  name: 'active-runs-by-tenant',
  sql: `
    CREATE INDEX runs_active_by_tenant ON riser.runs (tenant) WHERE status IN ('pending', 'running');
  `,
};
