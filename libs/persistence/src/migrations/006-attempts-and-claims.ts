import type { Migration } from './migration.js';

/**
 * Runs that any replica can claim, lease and take over: the attempt counter (the fencing
 * token a replica writes with), the trail of attempts, the request a claiming replica
 * executes (so it need not be the one that admitted it), and when a delayed run is due.
 * The rules themselves moved to one file re-applied when it changes (rules/run-rules.ts),
 * so the functions of 004/005 go.
 */
export const attemptsAndClaims: Migration = {
  id: 6,
  name: 'attempts-and-claims',
  sql: `
    ALTER TABLE riser.runs
      ADD COLUMN attempt integer NOT NULL DEFAULT 1,
      ADD COLUMN attempts jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN request jsonb,
      ADD COLUMN due_at timestamptz;
    CREATE INDEX runs_pending_by_age ON riser.runs (created_at) WHERE status = 'pending';
    DROP FUNCTION riser.admit_run(text, text, text, boolean, text, jsonb, uuid, text, jsonb, jsonb, text, text, text, integer, text, integer, boolean);
    DROP FUNCTION riser.finish_run(uuid, text, text, text, integer, text, jsonb);
  `,
};
