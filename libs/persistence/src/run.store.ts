import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from './database.js';
import { approvalFromJson, threadFromJson, type ApprovalRow, type ThreadRow } from './row-mapping.js';
import type { ApprovalRecord, Owner, RunRecord, RunStatus, ThreadRecord, ThreadStatus, WorkerIdentity } from './records.js';

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
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  endedAt: row.ended_at,
});

/** What admitting a run onto a thread needs (see `riser.admit_run`). */
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
  /** Due later (`after_seconds`): admitted `pending` even on a free thread. */
  delayed?: boolean;
}

export type AdmissionResult =
  /** `queued`: pending behind the thread's running or pending run. */
  | { outcome: 'admitted'; thread: ThreadRecord; run: RunRecord; cancelled: ApprovalRecord[]; queued: boolean }
  | { outcome: 'not_found' | 'forbidden' }
  | { outcome: 'busy'; runningRunId: string | undefined };

@Injectable()
export class RunStore {
  constructor(private readonly db: Database) {}

  /** Admits a run in one round trip (`riser.admit_run`); works alone or inside a transaction. */
  async admit(q: Queryable, a: Admission): Promise<AdmissionResult> {
    const { rows } = await q.query<{
      outcome: AdmissionResult['outcome'];
      thread: ThreadRow | null;
      run: RunRow | null;
      cancelled: ApprovalRow[] | null;
      queued: boolean | null;
    }>(
      `SELECT * FROM riser.admit_run($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        a.threadId, a.owner.sub, a.owner.tenant, a.isApprover, a.intent, JSON.stringify(a.threadMetadata ?? {}),
        a.runId, a.assistantId, JSON.stringify(a.kwargs), JSON.stringify(a.metadata ?? {}), a.multitaskStrategy,
        a.worker.id, a.worker.host, a.worker.pid, a.worker.boot, a.leaseMs, a.delayed ?? false,
      ],
    );
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

  /** Records a run's end, its thread's status and its interrupts as pending approvals, in one round trip. */
  async finish(
    runId: string,
    end: { status: RunStatus; error?: { code: string; message: string }; lastSeq?: number; threadStatus: ThreadStatus; interrupts?: { id: string; value: unknown }[] },
    q: Queryable = this.db,
  ): Promise<ApprovalRecord[]> {
    const { rows } = await q.query<ApprovalRow>(`SELECT * FROM riser.finish_run($1, $2, $3, $4, $5, $6, $7)`, [
      runId,
      end.status,
      end.error?.code ?? null,
      end.error?.message ?? null,
      end.lastSeq ?? null,
      end.threadStatus,
      JSON.stringify(end.interrupts ?? []),
    ]);
    return rows.map(approvalFromJson);
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

  async listForThread(
    threadId: string,
    filter: { limit: number; offset: number; status?: RunStatus[] },
  ): Promise<RunRecord[]> {
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
    const { rowCount } = await this.db.query(
      `DELETE FROM riser.runs WHERE run_id = $1 AND status NOT IN ('pending', 'running')`,
      [runId],
    );
    return (rowCount ?? 0) > 0;
  }

  /** A queued run's turn came: it runs now (the one-running-per-thread index still holds). */
  async promote(runId: string, leaseMs: number): Promise<boolean> {
    try {
      const { rowCount } = await this.db.query(
        `UPDATE riser.runs SET status = 'running', updated_at = now(),
                lease_expires_at = now() + make_interval(secs => $2 / 1000.0)
         WHERE run_id = $1 AND status = 'pending'`,
        [runId, leaseMs],
      );
      return (rowCount ?? 0) > 0;
    } catch (err) {
      if ((err as { constraint?: string }).constraint === 'runs_one_running_per_thread') return false;
      throw err;
    }
  }

  /**
   * Ends a run whose process is gone as `error` with the given code, and makes its thread
   * usable again (`error`, unless another run is active on it). `false` when the run had
   * already ended.
   */
  async markOrphaned(runId: string, error: { code: string; message: string }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ thread_id: string }>(
        `UPDATE riser.runs SET status = 'error', error_code = $2, error_message = $3, updated_at = now(), ended_at = now(),
                lease_expires_at = NULL
         WHERE run_id = $1 AND status IN ('pending', 'running')
         RETURNING thread_id`,
        [runId, error.code, error.message],
      );
      if (!rows.length) return false;
      await tx.query(
        `UPDATE riser.threads SET status = 'error', updated_at = now()
         WHERE thread_id = $1 AND status = 'busy'
           AND NOT EXISTS (SELECT 1 FROM riser.runs WHERE thread_id = $1 AND status IN ('running', 'pending'))`,
        [rows[0].thread_id],
      );
      return true;
    });
  }

  /** Extends the leases of the runs this process executes. */
  async renewLeases(runIds: string[], leaseMs: number): Promise<void> {
    if (!runIds.length) return;
    await this.db.query(
      `UPDATE riser.runs SET lease_expires_at = now() + make_interval(secs => $2 / 1000.0)
       WHERE run_id = ANY($1::uuid[]) AND status IN ('pending', 'running')`,
      [runIds, leaseMs],
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
}

/** A runs row as `to_jsonb` gives it (timestamps as strings). */
export function runFromJson(row: RunRow): RunRecord {
  return toRecord({
    ...row,
    created_at: new Date(row.created_at),
    updated_at: new Date(row.updated_at),
    ended_at: row.ended_at ? new Date(row.ended_at) : null,
    lease_expires_at: row.lease_expires_at ? new Date(row.lease_expires_at) : null,
  });
}
