import type { Migration } from './migration.js';

/**
 * Admitting a run and recording its end, each as one statement (one round trip) instead of
 * a transaction of eight: measured by the benchmark, those round trips were a fixed cost of
 * ~1 ms per run, a good part of Riser's per-token cost at 200 tokens a run.
 */
export const runLifecycleFunctions: Migration = {
  id: 4,
  name: 'run-lifecycle-functions',
  sql: `
    -- Admits a run onto its thread: creates the thread for the caller on first use, checks
    -- who may do what, inserts the run as running (or pending with 'enqueue'), marks the
    -- thread busy and, for a new message, cancels interrupts it goes past.
    -- outcome: admitted | not_found | forbidden | busy (run = {run_id} of the running run).
    CREATE FUNCTION riser.admit_run(
      p_thread_id text, p_owner_sub text, p_tenant text, p_is_approver boolean, p_intent text,
      p_thread_metadata jsonb, p_run_id uuid, p_assistant_id text, p_kwargs jsonb, p_metadata jsonb,
      p_strategy text, p_worker_id text, p_worker_host text, p_worker_pid integer, p_worker_boot text,
      p_lease_ms integer
    ) RETURNS TABLE (outcome text, thread jsonb, run jsonb, cancelled jsonb)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      t riser.threads;
      r riser.runs;
      base text;
      owner boolean;
    BEGIN
      INSERT INTO riser.threads (thread_id, owner_sub, tenant, metadata)
        VALUES (p_thread_id, p_owner_sub, p_tenant, coalesce(p_thread_metadata, '{}'::jsonb))
        ON CONFLICT (thread_id) DO NOTHING;
      SELECT * INTO t FROM riser.threads WHERE thread_id = p_thread_id FOR UPDATE;
      owner := t.owner_sub = p_owner_sub AND t.tenant = p_tenant;
      IF NOT owner AND NOT (p_intent = 'decide' AND t.tenant = p_tenant AND p_is_approver) THEN
        RETURN QUERY SELECT
          CASE WHEN t.tenant = p_tenant AND p_is_approver THEN 'forbidden' ELSE 'not_found' END,
          NULL::jsonb, NULL::jsonb, NULL::jsonb;
        RETURN;
      END IF;
      SELECT max(c.checkpoint_id) INTO base FROM riser.checkpoints c
        WHERE c.thread_id = p_thread_id AND c.checkpoint_ns = '';
      INSERT INTO riser.runs (run_id, thread_id, assistant_id, owner_sub, tenant, status, kwargs, metadata,
                              multitask_strategy, worker_id, worker_host, worker_pid, worker_boot,
                              lease_expires_at, base_checkpoint_id)
        VALUES (p_run_id, p_thread_id, p_assistant_id, p_owner_sub, p_tenant, 'running', p_kwargs,
                coalesce(p_metadata, '{}'::jsonb), p_strategy, p_worker_id, p_worker_host, p_worker_pid,
                p_worker_boot, now() + make_interval(secs => p_lease_ms / 1000.0), base)
        ON CONFLICT (thread_id) WHERE status = 'running' DO NOTHING
        RETURNING * INTO r;
      IF r.run_id IS NULL THEN
        IF p_strategy <> 'enqueue' THEN
          RETURN QUERY SELECT 'busy', NULL::jsonb,
            (SELECT jsonb_build_object('run_id', x.run_id) FROM riser.runs x
              WHERE x.thread_id = p_thread_id AND x.status = 'running'), NULL::jsonb;
          RETURN;
        END IF;
        INSERT INTO riser.runs (run_id, thread_id, assistant_id, owner_sub, tenant, status, kwargs, metadata,
                                multitask_strategy, worker_id, worker_host, worker_pid, worker_boot,
                                lease_expires_at, base_checkpoint_id)
          VALUES (p_run_id, p_thread_id, p_assistant_id, p_owner_sub, p_tenant, 'pending', p_kwargs,
                  coalesce(p_metadata, '{}'::jsonb), p_strategy, p_worker_id, p_worker_host, p_worker_pid,
                  p_worker_boot, now() + make_interval(secs => p_lease_ms / 1000.0), base)
          RETURNING * INTO r;
      END IF;
      IF p_intent = 'write' AND t.status = 'interrupted' THEN
        RETURN QUERY WITH gone AS (
          UPDATE riser.approvals a SET status = 'cancelled', decided_by = p_owner_sub,
                 decided_tenant = p_tenant, decided_at = now()
           WHERE a.thread_id = p_thread_id AND a.status = 'pending' RETURNING a.*)
          SELECT 'admitted', to_jsonb(t), to_jsonb(r), coalesce((SELECT jsonb_agg(to_jsonb(g)) FROM gone g), '[]'::jsonb);
      ELSE
        RETURN QUERY SELECT 'admitted', to_jsonb(t), to_jsonb(r), '[]'::jsonb;
      END IF;
      UPDATE riser.threads SET status = 'busy', updated_at = now() WHERE thread_id = p_thread_id;
    END
    $fn$;

    -- Records how a run ended (a run that already ended keeps its first ending), the thread's
    -- resulting status, and one pending approval per interrupt (returned, to be announced).
    CREATE FUNCTION riser.finish_run(
      p_run_id uuid, p_status text, p_error_code text, p_error_message text, p_last_seq integer,
      p_thread_status text, p_interrupts jsonb
    ) RETURNS SETOF riser.approvals
    LANGUAGE plpgsql AS $fn$
    DECLARE
      r riser.runs;
    BEGIN
      UPDATE riser.runs SET status = p_status, error_code = p_error_code, error_message = p_error_message,
             last_seq = p_last_seq, updated_at = now(), ended_at = now(), lease_expires_at = NULL
       WHERE run_id = p_run_id AND status IN ('pending', 'running')
       RETURNING * INTO r;
      IF r.run_id IS NULL THEN
        SELECT * INTO r FROM riser.runs WHERE run_id = p_run_id;
      END IF;
      UPDATE riser.threads SET status = p_thread_status, updated_at = now() WHERE thread_id = r.thread_id;
      RETURN QUERY
        INSERT INTO riser.approvals (thread_id, interrupt_id, run_id, tenant, requested_by, value)
        SELECT r.thread_id, i->>'id', r.run_id, r.tenant, r.owner_sub, i->'value'
          FROM jsonb_array_elements(coalesce(p_interrupts, '[]'::jsonb)) i
        ON CONFLICT (thread_id, interrupt_id) DO NOTHING
        RETURNING *;
    END
    $fn$;
  `,
};
