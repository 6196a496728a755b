import type { Migration } from './migration.js';

export const runLeases: Migration = {
  id: 3,
  name: 'run-leases',
  sql: `
    -- Which process executes a run, until when its lease holds, and the seq of its last event
    -- (so a rejoin after its events expired knows whether anything was missed).
    ALTER TABLE riser.runs
      ADD COLUMN worker_host text,
      ADD COLUMN worker_pid integer,
      ADD COLUMN worker_boot text,
      ADD COLUMN last_seq integer,
      -- The thread's newest checkpoint when the run was admitted: a rollback deletes what came after.
      ADD COLUMN base_checkpoint_id text;
    CREATE INDEX runs_active_by_lease ON riser.runs (lease_expires_at) WHERE status IN ('pending', 'running');
  `,
};
