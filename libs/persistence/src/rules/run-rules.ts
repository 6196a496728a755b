/**
 * Riser's run rules in the database, in one place: who may admit a run onto a thread, how a
 * run ends and what its thread becomes, and how replicas claim, lease and take over runs.
 * Each is one statement (one round trip) for the caller.
 *
 * Not a migration: the migrator re-creates the `riser_rules` schema from this text whenever
 * its hash changes, so a rule is changed here and only here (no copy restated migration
 * after migration). Access rules mirror ThreadAccess (libs/run-core/src/access.ts), which
 * decides the same questions for reads; the tests of both doors pin that they agree.
 */
export const RUN_RULES_SQL = `
CREATE SCHEMA riser_rules;

-- The worker fields of a run from a worker identity {id, host, pid, boot}.
CREATE FUNCTION riser_rules.attempt_entry(p_attempt integer, p_worker jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $fn$
  SELECT jsonb_build_object('attempt', p_attempt, 'worker', p_worker->>'id', 'boot', p_worker->>'boot',
                            'started_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$fn$;

-- Closes the newest attempt of a trail with how it ended.
CREATE FUNCTION riser_rules.close_attempt(p_attempts jsonb, p_outcome text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN jsonb_array_length(p_attempts) = 0 THEN p_attempts
         ELSE jsonb_set(p_attempts, ARRAY[(jsonb_array_length(p_attempts) - 1)::text, 'outcome'], to_jsonb(p_outcome)) END
$fn$;

-- What a thread is once one of its runs ended: busy while another run is pending or
-- running on it, else what the run's end says.
CREATE FUNCTION riser_rules.settle_thread(p_thread_id text, p_run_status text) RETURNS void
LANGUAGE sql AS $fn$
  UPDATE riser.threads SET updated_at = now(), status = CASE
      WHEN EXISTS (SELECT 1 FROM riser.runs x WHERE x.thread_id = p_thread_id AND x.status IN ('pending', 'running')) THEN 'busy'
      WHEN p_run_status IN ('success', 'cancelled') THEN 'idle'
      WHEN p_run_status = 'interrupted' THEN 'interrupted'
      ELSE 'error' END
   WHERE thread_id = p_thread_id
$fn$;

-- A tenant's runs pending or running, counted no further than p_cap, by its index (migration
-- 9): an index scan marks the entries of runs that have ended as dead as it passes them, so
-- the next admission does not visit them again.
CREATE FUNCTION riser_rules.active_runs(p_tenant text, p_cap integer) RETURNS integer
LANGUAGE sql STABLE AS $fn$
  SELECT count(*)::integer FROM (SELECT 1 FROM riser.runs x WHERE x.tenant = p_tenant AND x.status IN ('pending', 'running') LIMIT p_cap) a
$fn$;

-- Admits a run onto its thread: creates the thread for the caller on first use, checks who
-- may do what (write: the owner; decide: the owner or an approver of its tenant), inserts
-- the run as running (executed by p_worker) or pending (queued behind the thread's active
-- run with 'enqueue', or due later), marks the thread busy and, for a new message, cancels
-- the interrupts it goes past. Any pending or running run keeps a thread busy.
-- A tenant may have at most p_max_active runs pending or running (0: no cap); runs paused at
-- an interrupt do not count. Far below the cap, admissions of a tenant share its advisory
-- lock and do not wait for each other: those not yet committed are at most max_connections,
-- so they cannot pass the cap together. Near it, each takes the lock alone, after the sharing
-- ones committed, so concurrent ones on different threads cannot both take the last place.
-- outcome: admitted | not_found | forbidden | busy (run = {run_id} of the active run) | too_many_runs.
CREATE FUNCTION riser_rules.admit_run(
  p_thread_id text, p_owner_sub text, p_tenant text, p_is_approver boolean, p_intent text,
  p_thread_metadata jsonb, p_run_id uuid, p_assistant_id text, p_kwargs jsonb, p_metadata jsonb,
  p_strategy text, p_worker jsonb, p_lease_ms integer, p_delay_ms integer, p_request jsonb,
  p_max_active integer
) RETURNS TABLE (outcome text, thread jsonb, run jsonb, cancelled jsonb, queued boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  t riser.threads;
  r riser.runs;
  base text;
  busy_with uuid;
  runs_now boolean;
  active integer;
  -- Admissions that may be uncommitted at once: one per server connection at most.
  uncommitted integer;
  tenant_lock integer;
BEGIN
  INSERT INTO riser.threads (thread_id, owner_sub, tenant, metadata)
    VALUES (p_thread_id, p_owner_sub, p_tenant, coalesce(p_thread_metadata, '{}'::jsonb))
    ON CONFLICT (thread_id) DO NOTHING;
  SELECT * INTO t FROM riser.threads WHERE thread_id = p_thread_id FOR UPDATE;
  IF NOT (t.owner_sub = p_owner_sub AND t.tenant = p_tenant)
     AND NOT (p_intent = 'decide' AND t.tenant = p_tenant AND p_is_approver) THEN
    RETURN QUERY SELECT
      CASE WHEN t.tenant = p_tenant AND p_is_approver THEN 'forbidden' ELSE 'not_found' END,
      NULL::jsonb, NULL::jsonb, NULL::jsonb, NULL::boolean;
    RETURN;
  END IF;
  SELECT max(c.checkpoint_id) INTO base FROM riser.checkpoints c
    WHERE c.thread_id = p_thread_id AND c.checkpoint_ns = '';
  -- The thread lock above orders admissions.
  SELECT x.run_id INTO busy_with FROM riser.runs x
    WHERE x.thread_id = p_thread_id AND x.status IN ('running', 'pending')
    ORDER BY (x.status = 'running') DESC, x.created_at LIMIT 1;
  IF busy_with IS NOT NULL AND p_strategy <> 'enqueue' THEN
    RETURN QUERY SELECT 'busy', NULL::jsonb, jsonb_build_object('run_id', busy_with), NULL::jsonb, NULL::boolean;
    RETURN;
  END IF;
  IF coalesce(p_max_active, 0) > 0 THEN
    tenant_lock := hashtext('riser.tenant:' || p_tenant);
    uncommitted := current_setting('max_connections')::integer;
    BEGIN
      IF p_max_active <= uncommitted THEN
        RAISE SQLSTATE 'RS001';
      END IF;
      PERFORM pg_advisory_xact_lock_shared(tenant_lock);
      active := riser_rules.active_runs(p_tenant, p_max_active);
      IF active + uncommitted > p_max_active THEN
        RAISE SQLSTATE 'RS001';
      END IF;
    EXCEPTION WHEN SQLSTATE 'RS001' THEN
      -- Near the cap: the shared lock went with the block; wait for the admissions holding it
      -- to commit, and keep new ones out while counting.
      PERFORM pg_advisory_xact_lock(tenant_lock);
      active := riser_rules.active_runs(p_tenant, p_max_active);
    END;
    IF active >= p_max_active THEN
      -- The thread a first message would have created is not kept.
      DELETE FROM riser.threads d WHERE d.thread_id = p_thread_id
        AND NOT EXISTS (SELECT 1 FROM riser.runs y WHERE y.thread_id = p_thread_id) AND d.created_at = now();
      RETURN QUERY SELECT 'too_many_runs', NULL::jsonb, NULL::jsonb, NULL::jsonb, NULL::boolean;
      RETURN;
    END IF;
  END IF;
  runs_now := busy_with IS NULL AND coalesce(p_delay_ms, 0) <= 0;
  INSERT INTO riser.runs (run_id, thread_id, assistant_id, owner_sub, tenant, status, kwargs, metadata,
                          multitask_strategy, worker_id, worker_host, worker_pid, worker_boot,
                          lease_expires_at, base_checkpoint_id, attempt, attempts, request, due_at)
    VALUES (p_run_id, p_thread_id, p_assistant_id, p_owner_sub, p_tenant,
            CASE WHEN runs_now THEN 'running' ELSE 'pending' END, p_kwargs,
            coalesce(p_metadata, '{}'::jsonb), p_strategy, p_worker->>'id', p_worker->>'host',
            (p_worker->>'pid')::integer, p_worker->>'boot',
            now() + make_interval(secs => p_lease_ms / 1000.0), base, 1,
            CASE WHEN runs_now THEN jsonb_build_array(riser_rules.attempt_entry(1, p_worker)) ELSE '[]'::jsonb END,
            p_request, now() + make_interval(secs => greatest(coalesce(p_delay_ms, 0), 0) / 1000.0))
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

-- Records how a run ended, settles its thread and adds one pending approval per interrupt
-- (returned, to be announced). Fenced: with p_boot, only the process start holding the
-- run's current attempt can end it (a replica that lost its lease cannot); without it
-- (orphans, pending runs cancelled) any caller can. ended = false when nothing changed;
-- thread_owner: who the approvals are announced to.
CREATE FUNCTION riser_rules.finish_run(
  p_run_id uuid, p_boot text, p_attempt integer, p_only_pending boolean, p_status text,
  p_error_code text, p_error_message text, p_last_seq integer, p_interrupts jsonb
) RETURNS TABLE (ended boolean, approvals jsonb, thread_owner jsonb, runs_pending boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  r riser.runs;
BEGIN
  UPDATE riser.runs SET status = p_status, error_code = p_error_code, error_message = p_error_message,
         last_seq = p_last_seq, updated_at = now(), ended_at = now(), lease_expires_at = NULL,
         attempts = riser_rules.close_attempt(attempts, p_status)
   WHERE run_id = p_run_id
     AND status = ANY (CASE WHEN p_only_pending THEN ARRAY['pending'] ELSE ARRAY['pending', 'running'] END)
     AND (p_boot IS NULL OR (worker_boot = p_boot AND attempt = p_attempt))
   RETURNING * INTO r;
  IF r.run_id IS NULL THEN
    RETURN QUERY SELECT false, '[]'::jsonb, NULL::jsonb, false;
    RETURN;
  END IF;
  PERFORM riser_rules.settle_thread(r.thread_id, p_status);
  RETURN QUERY WITH added AS (
    INSERT INTO riser.approvals (thread_id, interrupt_id, run_id, tenant, requested_by, value)
    SELECT r.thread_id, i->>'id', r.run_id, r.tenant, r.owner_sub, i->'value'
      FROM jsonb_array_elements(coalesce(p_interrupts, '[]'::jsonb)) i
    ON CONFLICT (thread_id, interrupt_id) DO NOTHING
    RETURNING *)
    SELECT true, coalesce((SELECT jsonb_agg(to_jsonb(a)) FROM added a), '[]'::jsonb),
           (SELECT jsonb_build_object('sub', t.owner_sub, 'tenant', t.tenant) FROM riser.threads t WHERE t.thread_id = r.thread_id),
           -- Whether a claim could find anything (runs_pending_by_age): most ends need none.
           EXISTS (SELECT 1 FROM riser.runs p WHERE p.status = 'pending' AND coalesce(p.due_at, p.created_at) <= now());
END
$fn$;

-- Claims the oldest pending run that is due, whose thread has no running run and no older
-- pending run (a thread's runs start in the order they were admitted), and starts it on
-- p_worker. SKIP LOCKED: replicas claiming at once take different runs. With p_only_boot,
-- only runs that process start admitted (one process: it drives its own queue).
CREATE FUNCTION riser_rules.claim_pending(p_worker jsonb, p_lease_ms integer, p_only_boot text)
RETURNS SETOF riser.runs
LANGUAGE plpgsql AS $fn$
DECLARE
  r riser.runs;
BEGIN
  SELECT p.* INTO r FROM riser.runs p
   WHERE p.status = 'pending' AND coalesce(p.due_at, p.created_at) <= now()
     AND (p_only_boot IS NULL OR p.worker_boot = p_only_boot)
     AND NOT EXISTS (SELECT 1 FROM riser.runs x WHERE x.thread_id = p.thread_id AND x.status = 'running')
     AND NOT EXISTS (SELECT 1 FROM riser.runs e WHERE e.thread_id = p.thread_id AND e.status = 'pending'
                       AND (e.created_at, e.run_id) < (p.created_at, p.run_id))
   ORDER BY p.created_at
   LIMIT 1
   FOR UPDATE SKIP LOCKED;
  IF r.run_id IS NULL THEN
    RETURN;
  END IF;
  BEGIN
    UPDATE riser.runs SET status = 'running', worker_id = p_worker->>'id', worker_host = p_worker->>'host',
           worker_pid = (p_worker->>'pid')::integer, worker_boot = p_worker->>'boot',
           lease_expires_at = now() + make_interval(secs => p_lease_ms / 1000.0), updated_at = now(),
           attempts = attempts || jsonb_build_array(riser_rules.attempt_entry(r.attempt, p_worker)),
           -- What a rollback returns to: the thread as the run found it when it started.
           base_checkpoint_id = (SELECT max(c.checkpoint_id) FROM riser.checkpoints c
                                  WHERE c.thread_id = r.thread_id AND c.checkpoint_ns = '')
     WHERE run_id = r.run_id
     RETURNING * INTO r;
  EXCEPTION WHEN unique_violation THEN
    -- Another run of the thread started meanwhile: this one waits for the next claim.
    RETURN;
  END;
  RETURN NEXT r;
END
$fn$;

-- Takes over one running run whose lease ran out (its process died, froze or was cut off):
-- the next attempt on p_worker ('resumed'), or, past p_max_attempts, the run ends as an
-- error with p_code ('failed'). The attempt number is the fencing token: the old process
-- can no longer renew, finish or write events for the run.
CREATE FUNCTION riser_rules.take_over(p_worker jsonb, p_lease_ms integer, p_max_attempts integer, p_code text, p_message text)
RETURNS TABLE (outcome text, run jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  r riser.runs;
BEGIN
  SELECT * INTO r FROM riser.runs
   WHERE status = 'running' AND lease_expires_at < now()
   ORDER BY lease_expires_at
   LIMIT 1
   FOR UPDATE SKIP LOCKED;
  IF r.run_id IS NULL THEN
    RETURN;
  END IF;
  IF r.attempt >= p_max_attempts THEN
    UPDATE riser.runs SET status = 'error', error_code = p_code, error_message = p_message, updated_at = now(),
           ended_at = now(), lease_expires_at = NULL, attempts = riser_rules.close_attempt(attempts, 'lost')
     WHERE run_id = r.run_id RETURNING * INTO r;
    PERFORM riser_rules.settle_thread(r.thread_id, 'error');
    RETURN QUERY SELECT 'failed', to_jsonb(r);
    RETURN;
  END IF;
  UPDATE riser.runs SET attempt = attempt + 1, worker_id = p_worker->>'id', worker_host = p_worker->>'host',
         worker_pid = (p_worker->>'pid')::integer, worker_boot = p_worker->>'boot',
         lease_expires_at = now() + make_interval(secs => p_lease_ms / 1000.0), updated_at = now(),
         attempts = riser_rules.close_attempt(attempts, 'lost') || jsonb_build_array(riser_rules.attempt_entry(attempt + 1, p_worker))
   WHERE run_id = r.run_id RETURNING * INTO r;
  RETURN QUERY SELECT 'resumed', to_jsonb(r);
END
$fn$;

-- Renews the leases of the runs a process start executes (and of the pending runs it
-- admitted); returns those it still holds. A run missing from the answer was taken over.
CREATE FUNCTION riser_rules.renew_leases(p_run_ids uuid[], p_boot text, p_lease_ms integer)
RETURNS SETOF uuid
LANGUAGE sql AS $fn$
  UPDATE riser.runs SET lease_expires_at = now() + make_interval(secs => p_lease_ms / 1000.0)
   WHERE worker_boot = p_boot AND (status = 'pending' OR (status = 'running' AND run_id = ANY (p_run_ids)))
   RETURNING run_id
$fn$;

-- Hands runs back (a replica shutting down): their leases end now, so another replica takes
-- them over at once and resumes them from their checkpoints.
CREATE FUNCTION riser_rules.release_runs(p_run_ids uuid[], p_boot text) RETURNS SETOF uuid
LANGUAGE sql AS $fn$
  UPDATE riser.runs SET lease_expires_at = now() - interval '1 millisecond',
         attempts = riser_rules.close_attempt(attempts, 'handed_back')
   WHERE run_id = ANY (p_run_ids) AND worker_boot = p_boot AND status = 'running'
   RETURNING run_id
$fn$;
`;
