import type { Migration } from './migration.js';

export const threadsAndRuns: Migration = {
  id: 1,
  name: 'threads-and-runs',
  sql: `
    CREATE TABLE riser.threads (
      thread_id   text PRIMARY KEY,
      owner_sub   text NOT NULL,
      tenant      text NOT NULL DEFAULT '',
      status      text NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'busy', 'interrupted', 'error')),
      metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX threads_by_owner ON riser.threads (tenant, owner_sub, updated_at DESC);

    CREATE TABLE riser.runs (
      run_id              uuid PRIMARY KEY,
      thread_id           text NOT NULL REFERENCES riser.threads (thread_id) ON DELETE CASCADE,
      assistant_id        text NOT NULL,
      owner_sub           text NOT NULL,
      tenant              text NOT NULL DEFAULT '',
      status              text NOT NULL CHECK (status IN
                            ('pending', 'running', 'success', 'error', 'timeout', 'interrupted', 'cancelled')),
      error_code          text,
      error_message       text,
      kwargs              jsonb NOT NULL DEFAULT '{}'::jsonb,
      metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
      multitask_strategy  text NOT NULL DEFAULT 'reject',
      worker_id           text,
      lease_expires_at    timestamptz,
      created_at          timestamptz NOT NULL DEFAULT now(),
      updated_at          timestamptz NOT NULL DEFAULT now(),
      ended_at            timestamptz
    );
    CREATE INDEX runs_by_thread ON riser.runs (thread_id, created_at DESC);
    -- At most one run executes per thread, whichever replica started it: a second insert
    -- as 'running' fails, which is how a busy thread is detected atomically.
    CREATE UNIQUE INDEX runs_one_running_per_thread ON riser.runs (thread_id) WHERE status = 'running';
  `,
};
