import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from './database.js';
import { approvalFromJson, threadFromJson, type ApprovalRow, type ThreadRow } from './row-mapping.js';
import type { ApprovalRecord, Owner, RunAttempt, RunRecord, RunStatus, ThreadRecord, WorkerIdentity } from './records.js';

export interface RunRow {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  owner_sub: string;
  tenant: string;
  status: RunStatus;
  error_code: string | null;
  error_message: string | null;
  kwargs: Record<string, unknown>;
  metadata: Record<string, unknown>;
  multitask_strategy: string;
  worker_id: string | null;
  worker_host: string | null;
  worker_pid: number | null;
  worker_boot: string | null;
  lease_expires_at: Date | null;
  last_seq: number | null;
  base_checkpoint_id: string | null;
  attempt: number;
  attempts: RunAttempt[];
  request: Record<string, unknown> | null;
  due_at: Date | null;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
}

export const toRecord = (row: RunRow): RunRecord => ({
  runId: row.run_id,
  threadId: row.thread_id,
  assistantId: row.assistant_id,
  owner: { sub: row.owner_sub, tenant: row.tenant },
  status: row.status,
  errorCode: row.error_code,
  errorMessage: row.error_message,
  kwargs: row.kwargs,
  metadata: row.metadata,
  multitaskStrategy: row.multitask_strategy,
  worker: row.worker_id ? { id: row.worker_id, host: row.worker_host ?? '', pid: row.worker_pid ?? 0, boot: row.worker_boot ?? '' } : null,
  leaseExpiresAt: row.lease_expires_at,
  lastSeq: row.last_seq,
  baseCheckpointId: row.base_checkpoint_id,
  attempt: row.attempt ?? 1,
  attempts: row.attempts ?? [],
  request: row.request ?? null,
  dueAt: row.due_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  endedAt: row.ended_at,
});

/** What admitting a run onto a thread needs (see `riser_rules.admit_run`). */
export interface Admission {
  runId: string;
  threadId: string;
  assistantId: string;
  owner: Owner;
  /** The caller has the approver role (may decide the interrupts of its tenant's threads). */
  isApprover: boolean;
  /** `write`: a new message, the owner only; `decide`: a resume, owner or approver. */
  intent: 'write' | 'decide';
  threadMetadata?: Record<string, unknown>;
  kwargs: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  multitaskStrategy: string;
  worker: WorkerIdentity;
  leaseMs: number;
  /** Due this many ms after admission (`after_seconds`): admitted `pending` even on a free thread. */
  delayMs?: number;
  /** What to execute, for whichever replica claims the run. */
  request: Record<string, unknown>;
  /** Most runs a tenant may have pending or running (0: no cap). */
  maxActivePerTenant: number;
}

export type AdmissionResult =
  /** `queued`: pending behind the thread's running or pending run. */
  | { outcome: 'admitted'; thread: ThreadRecord; run: RunRecord; cancelled: ApprovalRecord[]; queued: boolean }
  | { outcome: 'not_found' | 'forbidden' | 'too_many_runs' }
  | { outcome: 'busy'; runningRunId: string | undefined };

export interface RunEnding {
  status: RunStatus;
  error?: { code: string; message: string };
  lastSeq?: number;
  interrupts?: { id: string; value: unknown }[];
  /** Fencing: only this process start, holding this attempt, may end the run. */
  fence?: { boot: string; attempt: number };
  /** End it only if it has not started yet (cancelling a queued or delayed run). */
  onlyPending?: boolean;
}

/** Runs in Postgres: admission, ending, claims, leases and takeovers (see rules/run-rules.ts). */
@Injectable()
export class RunStore {
  constructor(private readonly db: Database) {}

  /** Admits a run in one round trip; works alone or inside a transaction. */
  async admit(q: Queryable, a: Admission): Promise<AdmissionResult> {
    const { rows } = await q.query<{
      outcome: AdmissionResult['outcome'];
      thread: ThreadRow | null;
      run: RunRow | null;
      cancelled: ApprovalRow[] | null;
      queued: boolean | null;
    }>(`SELECT * FROM riser_rules.admit_run($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, [
      a.threadId, a.owner.sub, a.owner.tenant, a.isApprover, a.intent, JSON.stringify(a.threadMetadata ?? {}),
      a.runId, a.assistantId, JSON.stringify(a.kwargs), JSON.stringify(a.metadata ?? {}), a.multitaskStrategy,
      JSON.stringify(a.worker), a.leaseMs, a.delayMs ?? 0, JSON.stringify(a.request), a.maxActivePerTenant,
    ]);
    const row = rows[0];
    switch (row.outcome) {
      case 'admitted':
        return {
          outcome: 'admitted',
          thread: threadFromJson(row.thread!),
          run: runFromJson(row.run!),
          cancelled: (row.cancelled ?? []).map(approvalFromJson),
          queued: row.queued ?? false,
        };
      case 'busy':
        return { outcome: 'busy', runningRunId: (row.run as { run_id?: string } | null)?.run_id };
      default:
        return { outcome: row.outcome };
    }
  }

  /**
   * Records a run's end, settles its thread and adds its interrupts as pending approvals, in
   * one round trip. `ended: false` when the run had ended already or the fence refused it.
   */
  /** Ends a run (fenced); `runsPending`: whether any pending run is due, anywhere, for a claim to find. */
  async finish(runId: string, end: RunEnding, q: Queryable = this.db): Promise<{ ended: boolean; approvals: ApprovalRecord[]; threadOwner?: Owner; runsPending: boolean }> {
    const { rows } = await q.query<{ ended: boolean; approvals: ApprovalRow[]; thread_owner: Owner | null; runs_pending: boolean }>(
      `SELECT * FROM riser_rules.finish_run($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        runId,
        end.fence?.boot ?? null,
        end.fence?.attempt ?? null,
        end.onlyPending ?? false,
        end.status,
        end.error?.code ?? null,
        end.error?.message ?? null,
        end.lastSeq ?? null,
        JSON.stringify(end.interrupts ?? []),
      ],
    );
    return { ended: rows[0].ended, approvals: rows[0].approvals.map(approvalFromJson), threadOwner: rows[0].thread_owner ?? undefined, runsPending: rows[0].runs_pending };
  }

  async get(runId: string, q: Queryable = this.db): Promise<RunRecord | undefined> {
    const { rows } = await q.query<RunRow>('SELECT * FROM riser.runs WHERE run_id = $1', [runId]);
    return rows[0] && toRecord(rows[0]);
  }

  async latestForThread(threadId: string, q: Queryable = this.db): Promise<RunRecord | undefined> {
    const { rows } = await q.query<RunRow>(
      'SELECT * FROM riser.runs WHERE thread_id = $1 ORDER BY created_at DESC, run_id DESC LIMIT 1',
      [threadId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** The thread's running run, else its oldest pending one, else its latest. */
  async currentForThread(threadId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.db.query<RunRow>(
      `SELECT * FROM riser.runs WHERE thread_id = $1
        ORDER BY (status = 'running') DESC, (status = 'pending') DESC,
                 CASE WHEN status = 'pending' THEN created_at END ASC, created_at DESC, run_id DESC
        LIMIT 1`,
      [threadId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async listForThread(threadId: string, filter: { limit: number; offset: number; status?: RunStatus[] }): Promise<RunRecord[]> {
    const values: unknown[] = [threadId, filter.limit, filter.offset];
    let status = '';
    if (filter.status?.length) {
      values.push(filter.status);
      status = ` AND status = ANY($4::text[])`;
    }
    const { rows } = await this.db.query<RunRow>(
      `SELECT * FROM riser.runs WHERE thread_id = $1${status} ORDER BY created_at DESC, run_id DESC LIMIT $2 OFFSET $3`,
      values,
    );
    return rows.map(toRecord);
  }

  /** Deletes a run that has ended; `false` when it is unknown or still active. */
  async deleteEnded(runId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM riser.runs WHERE run_id = $1 AND status NOT IN ('pending', 'running')`, [runId]);
    return (rowCount ?? 0) > 0;
  }

  /** Starts the oldest claimable pending run on `worker` (see `riser_rules.claim_pending`). */
  async claimPending(worker: WorkerIdentity, leaseMs: number, onlyBoot?: string): Promise<RunRecord | undefined> {
    const { rows } = await this.db.query<RunRow>(`SELECT * FROM riser_rules.claim_pending($1, $2, $3)`, [
      JSON.stringify(worker),
      leaseMs,
      onlyBoot ?? null,
    ]);
    return rows[0]?.run_id ? toRecord(rows[0]) : undefined;
  }

  /** Takes over one run whose lease ran out: its next attempt here, or its end past the cap. */
  async takeOver(
    worker: WorkerIdentity,
    leaseMs: number,
    maxAttempts: number,
    error: { code: string; message: string },
  ): Promise<{ outcome: 'resumed' | 'failed'; run: RunRecord } | undefined> {
    const { rows } = await this.db.query<{ outcome: 'resumed' | 'failed'; run: RunRow }>(
      `SELECT * FROM riser_rules.take_over($1, $2, $3, $4, $5)`,
      [JSON.stringify(worker), leaseMs, maxAttempts, error.code, error.message],
    );
    return rows[0] && { outcome: rows[0].outcome, run: runFromJson(rows[0].run) };
  }

  /** Renews this process start's leases; returns the ids of the running runs it still holds. */
  async renewLeases(runIds: string[], boot: string, leaseMs: number): Promise<Set<string>> {
    const { rows } = await this.db.query<{ renew_leases: string }>(`SELECT * FROM riser_rules.renew_leases($1::uuid[], $2, $3)`, [runIds, boot, leaseMs]);
    return new Set(rows.map((r) => r.renew_leases));
  }

  /** Hands runs back for another replica to take over now. */
  async release(runIds: string[], boot: string): Promise<string[]> {
    if (!runIds.length) return [];
    const { rows } = await this.db.query<{ release_runs: string }>(`SELECT * FROM riser_rules.release_runs($1::uuid[], $2)`, [runIds, boot]);
    return rows.map((r) => r.release_runs);
  }

  /** Ends the leases of runs whose process is known to be gone, so they are taken over now. */
  async expireLeases(runIds: string[]): Promise<void> {
    if (!runIds.length) return;
    await this.db.query(
      `UPDATE riser.runs SET lease_expires_at = now() - interval '1 millisecond' WHERE run_id = ANY($1::uuid[]) AND status = 'running'`,
      [runIds],
    );
  }

  /** Runs still marked pending or running that some other process start owns. */
  async activeNotOwnedBy(boot: string): Promise<RunRecord[]> {
    const { rows } = await this.db.query<RunRow>(
      `SELECT * FROM riser.runs WHERE status IN ('pending', 'running') AND worker_boot IS DISTINCT FROM $1`,
      [boot],
    );
    return rows.map(toRecord);
  }

  /** Pending runs this process start admitted. */
  async pendingOf(boot: string): Promise<RunRecord[]> {
    const { rows } = await this.db.query<RunRow>(`SELECT * FROM riser.runs WHERE status = 'pending' AND worker_boot = $1`, [boot]);
    return rows.map(toRecord);
  }
}

/** A runs row as `to_jsonb` gives it (timestamps as strings). */
export function runFromJson(row: RunRow): RunRecord {
  return toRecord({
    ...row,
    created_at: new Date(row.created_at),
    updated_at: new Date(row.updated_at),
    ended_at: row.ended_at ? new Date(row.ended_at) : null,
    lease_expires_at: row.lease_expires_at ? new Date(row.lease_expires_at) : null,
    due_at: row.due_at ? new Date(row.due_at) : null,
  });
}
