import type { Migration } from './migration.js';

/**
 * Delayed runs (`after_seconds`): `riser.admit_run` can admit a run as `pending` on a free
 * thread, due later. A pending run keeps its thread busy as a running one does, so a run
 * already waiting for its turn (queued or delayed) is never overtaken by a newcomer.
 */
export const delayedRuns: Migration = {
  id: 5,
  name: 'delayed-runs',
  sql: `
    DROP FUNCTION riser.admit_run(text, text, text, boolean, text, jsonb, uuid, text, jsonb, jsonb, text, text, text, integer, text, integer);

    CREATE FUNCTION riser.admit_run(
      p_thread_id text, p_owner_sub text, p_tenant text, p_is_approver boolean, p_intent text,
      p_thread_metadata jsonb, p_run_id uuid, p_assistant_id text, p_kwargs jsonb, p_metadata jsonb,
      p_strategy text, p_worker_id text, p_worker_host text, p_worker_pid integer, p_worker_boot text,
      p_lease_ms integer, p_delayed boolean
    ) RETURNS TABLE (outcome text, thread jsonb, run jsonb, cancelled jsonb, queued boolean)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      t riser.threads;
      r riser.runs;
      base text;
      owner boolean;
      busy_with uuid;
    BEGIN
      INSERT INTO riser.threads (thread_id, owner_sub, tenant, metadata)
        VALUES (p_thread_id, p_owner_sub, p_tenant, coalesce(p_thread_metadata, '{}'::jsonb))
        ON CONFLICT (thread_id) DO NOTHING;
      SELECT * INTO t FROM riser.threads WHERE thread_id = p_thread_id FOR UPDATE;
      owner := t.owner_sub = p_owner_sub AND t.tenant = p_tenant;
      IF NOT owner AND NOT (p_intent = 'decide' AND t.tenant = p_tenant AND p_is_approver) THEN
        RETURN QUERY SELECT
          CASE WHEN t.tenant = p_tenant AND p_is_approver THEN 'forbidden' ELSE 'not_found' END,
          NULL::jsonb, NULL::jsonb, NULL::jsonb, NULL::boolean;
        RETURN;
      END IF;
      SELECT max(c.checkpoint_id) INTO base FROM riser.checkpoints c
        WHERE c.thread_id = p_thread_id AND c.checkpoint_ns = '';
      -- The thread lock above orders admissions: a run already pending (queued, delayed, or
      -- between a finished run and its successor) or running keeps the thread busy.
      SELECT x.run_id INTO busy_with FROM riser.runs x
        WHERE x.thread_id = p_thread_id AND x.status IN ('running', 'pending')
        ORDER BY (x.status = 'running') DESC, x.created_at LIMIT 1;
      IF busy_with IS NOT NULL AND p_strategy <> 'enqueue' THEN
        RETURN QUERY SELECT 'busy', NULL::jsonb, jsonb_build_object('run_id', busy_with), NULL::jsonb, NULL::boolean;
        RETURN;
      END IF;
      -- Pending: queued behind the busy thread's runs, or due later (after_seconds).
      INSERT INTO riser.runs (run_id, thread_id, assistant_id, owner_sub, tenant, status, kwargs, metadata,
                              multitask_strategy, worker_id, worker_host, worker_pid, worker_boot,
                              lease_expires_at, base_checkpoint_id)
        VALUES (p_run_id, p_thread_id, p_assistant_id, p_owner_sub, p_tenant,
                CASE WHEN busy_with IS NOT NULL OR p_delayed THEN 'pending' ELSE 'running' END, p_kwargs,
                coalesce(p_metadata, '{}'::jsonb), p_strategy, p_worker_id, p_worker_host, p_worker_pid,
                p_worker_boot, now() + make_interval(secs => p_lease_ms / 1000.0), base)
        RETURNING * INTO r;
      IF p_intent = 'write' AND t.status = 'interrupted' THEN
        RETURN QUERY WITH gone AS (
          UPDATE riser.approvals a SET status = 'cancelled', decided_by = p_owner_sub,
                 decided_tenant = p_tenant, decided_at = now()
           WHERE a.thread_id = p_thread_id AND a.status = 'pending' RETURNING a.*)
          SELECT 'admitted', to_jsonb(t), to_jsonb(r), coalesce((SELECT jsonb_agg(to_jsonb(g)) FROM gone g), '[]'::jsonb), busy_with IS NOT NULL;
      ELSE
        RETURN QUERY SELECT 'admitted', to_jsonb(t), to_jsonb(r), '[]'::jsonb, busy_with IS NOT NULL;
      END IF;
      UPDATE riser.threads SET status = 'busy', updated_at = now() WHERE thread_id = p_thread_id;
    END
    $fn$;
  `,
};
