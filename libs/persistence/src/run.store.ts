import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from './database.js';
import type { Owner, RunRecord, RunStatus, WorkerIdentity } from './records.js';

interface RunRow {
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

const toRecord = (row: RunRow): RunRecord => ({
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

export interface NewRun {
  runId: string;
  threadId: string;
  assistantId: string;
  owner: Owner;
  status: 'pending' | 'running';
  kwargs?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  multitaskStrategy?: string;
  worker: WorkerIdentity;
  leaseMs: number;
  baseCheckpointId?: string | null;
}

/** Thrown by {@link RunStore.insert} when the thread already has a running run. */
export class ThreadBusyConflict extends Error {
  constructor(readonly threadId: string) {
    super(`thread ${threadId} already has a running run`);
  }
}

@Injectable()
export class RunStore {
  constructor(private readonly db: Database) {}

  async insert(q: Queryable, run: NewRun): Promise<RunRecord> {
    try {
      const { rows } = await q.query<RunRow>(
        `INSERT INTO riser.runs (run_id, thread_id, assistant_id, owner_sub, tenant, status, kwargs, metadata,
                                 multitask_strategy, worker_id, worker_host, worker_pid, worker_boot, lease_expires_at,
                                 base_checkpoint_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now() + make_interval(secs => $14 / 1000.0), $15)
         RETURNING *`,
        [
          run.runId,
          run.threadId,
          run.assistantId,
          run.owner.sub,
          run.owner.tenant,
          run.status,
          run.kwargs ?? {},
          run.metadata ?? {},
          run.multitaskStrategy ?? 'reject',
          run.worker.id,
          run.worker.host,
          run.worker.pid,
          run.worker.boot,
          run.leaseMs,
          run.baseCheckpointId ?? null,
        ],
      );
      return toRecord(rows[0]);
    } catch (err) {
      if ((err as { constraint?: string }).constraint === 'runs_one_running_per_thread') {
        throw new ThreadBusyConflict(run.threadId);
      }
      throw err;
    }
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

  /** Records how a run ended; a run that already ended keeps its first ending. */
  async finish(
    runId: string,
    status: RunStatus,
    end: { error?: { code: string; message: string }; lastSeq?: number },
    q: Queryable = this.db,
  ): Promise<boolean> {
    const { rowCount } = await q.query(
      `UPDATE riser.runs SET status = $2, error_code = $3, error_message = $4, last_seq = $5, updated_at = now(),
              ended_at = now(), lease_expires_at = NULL
       WHERE run_id = $1 AND status IN ('pending', 'running')`,
      [runId, status, end.error?.code ?? null, end.error?.message ?? null, end.lastSeq ?? null],
    );
    return (rowCount ?? 0) > 0;
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
