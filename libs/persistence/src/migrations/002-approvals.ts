import type { Migration } from './migration.js';

export const approvals: Migration = {
  id: 2,
  name: 'approvals',
  sql: `
    -- Every interrupt a run raised, and what became of it: the audit trail of approvals.
    CREATE TABLE riser.approvals (
      thread_id       text NOT NULL REFERENCES riser.threads (thread_id) ON DELETE CASCADE,
      interrupt_id    text NOT NULL,
      run_id          uuid NOT NULL,
      tenant          text NOT NULL,
      requested_by    text NOT NULL,
      value           jsonb,
      status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'approved', 'rejected', 'edited', 'cancelled')),
      decision        jsonb,
      decided_by      text,
      decided_tenant  text,
      resume_run_id   uuid,
      created_at      timestamptz NOT NULL DEFAULT now(),
      decided_at      timestamptz,
      PRIMARY KEY (thread_id, interrupt_id)
    );
    CREATE INDEX approvals_pending ON riser.approvals (thread_id) WHERE status = 'pending';
  `,
};
