import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from './database.js';
import type { Owner, RunRecord, RunStatus } from './records.js';

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
  workerId?: string;
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
                                 multitask_strategy, worker_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
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
          run.workerId ?? null,
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

  async setRunning(runId: string, workerId: string, q: Queryable = this.db): Promise<void> {
    await q.query(
      `UPDATE riser.runs SET status = 'running', worker_id = $2, updated_at = now() WHERE run_id = $1`,
      [runId, workerId],
    );
  }

  /** Records how a run ended; a run that already ended keeps its first ending. */
  async finish(
    runId: string,
    status: RunStatus,
    error?: { code: string; message: string },
    q: Queryable = this.db,
  ): Promise<boolean> {
    const { rowCount } = await q.query(
      `UPDATE riser.runs SET status = $2, error_code = $3, error_message = $4, updated_at = now(), ended_at = now()
       WHERE run_id = $1 AND status IN ('pending', 'running')`,
      [runId, status, error?.code ?? null, error?.message ?? null],
    );
    return (rowCount ?? 0) > 0;
  }
}
