import { Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import {
  ApprovalStore,
  CheckpointStore,
  Database,
  RunStore,
  ThreadBusyConflict,
  ThreadStore,
  type ApprovalRecord,
  type PoolClient,
  type RunRecord,
  type ThreadRecord,
  type ThreadStatus,
  type WorkerIdentity,
} from '@riser/persistence';
import type { ThreadAccess } from './access.js';
import { RunError, RunErrorCode } from './run-error.js';
import type { RunOutcome } from './run-executor.js';
import type { MultitaskStrategy } from './run-request.js';

export interface Admission {
  runId: string;
  threadId: string;
  assistantId: string;
  kwargs: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  threadMetadata?: Record<string, unknown>;
  multitaskStrategy: MultitaskStrategy;
  worker: WorkerIdentity;
  leaseMs: number;
  /** `write`: a new message (the owner only); `decide`: resuming an interrupt (owner or approver). */
  intent: 'write' | 'decide';
  /** Runs inside the admitting transaction, before the run row: a failure admits nothing. */
  within?: (tx: PoolClient, thread: ThreadRecord) => Promise<void>;
}

export interface Admitted {
  record: RunRecord;
  thread: ThreadRecord;
  /** Interrupts a new message went past, now cancelled. */
  cancelled: ApprovalRecord[];
}

/** The thread is busy and the caller asked to interrupt or roll back the run on it. */
export class ThreadBusyWith extends Error {
  constructor(readonly runId: string) {
    super(`thread busy with run ${runId}`);
  }
}

const THREAD_STATUS_AFTER: Record<RunOutcome['status'], ThreadStatus> = {
  success: 'idle',
  cancelled: 'idle',
  interrupted: 'interrupted',
  error: 'error',
  timeout: 'error',
};

/**
 * The database side of a run's life: admitting it onto its thread (created on first use,
 * owned by the caller) in one transaction, and recording how it ended. A refused run leaves
 * nothing behind: not the thread it would have created, not a run row.
 */
@Injectable()
export class RunAdmission {
  constructor(
    private readonly db: Database,
    private readonly threads: ThreadStore,
    private readonly runs: RunStore,
    private readonly approvals: ApprovalStore,
    private readonly checkpoints: CheckpointStore,
  ) {}

  admit(principal: Principal, access: ThreadAccess, admission: Admission): Promise<Admitted> {
    return this.db.transaction(async (tx) => {
      const owner = { sub: principal.sub, tenant: principal.tenant };
      const { thread } = await this.threads.ensure(tx, admission.threadId, owner, admission.threadMetadata);
      const allowed = admission.intent === 'write' ? access.canWrite(principal, thread) : access.canDecide(principal, thread);
      if (!allowed) {
        if (access.canRead(principal, thread)) {
          throw new RunError(RunErrorCode.forbidden, 'only the thread owner can start runs on it');
        }
        throw new RunError(RunErrorCode.threadNotFound, `thread ${admission.threadId} not found`);
      }
      await admission.within?.(tx, thread);
      const record = await this.insertRun(tx, owner, admission);
      // A new message moves the conversation past any interrupt still waiting.
      const cancelled = admission.intent === 'write' ? await this.approvals.cancelPending(tx, admission.threadId, owner) : [];
      await this.threads.setStatus(admission.threadId, 'busy', tx);
      return { record, thread, cancelled };
    });
  }

  /**
   * Inserts the run as `running`; the one-running-per-thread index refuses it on a busy
   * thread, and then the multitask strategy decides: `reject` (409), `enqueue` (inserted as
   * `pending`, to run after the current one), `interrupt`/`rollback` (the caller stops the
   * current run and tries again).
   */
  private async insertRun(tx: PoolClient, owner: { sub: string; tenant: string }, admission: Admission): Promise<RunRecord> {
    const baseCheckpointId = await this.checkpoints.latestId(admission.threadId, tx);
    const row = { ...admission, owner, baseCheckpointId };
    await tx.query('SAVEPOINT admit_run');
    try {
      return await this.runs.insert(tx, { ...row, status: 'running' });
    } catch (err) {
      if (!(err instanceof ThreadBusyConflict)) throw err;
      await tx.query('ROLLBACK TO SAVEPOINT admit_run');
    }
    switch (admission.multitaskStrategy) {
      case 'enqueue':
        return this.runs.insert(tx, { ...row, status: 'pending' });
      case 'interrupt':
      case 'rollback': {
        const { rows } = await tx.query<{ run_id: string }>(
          `SELECT run_id FROM riser.runs WHERE thread_id = $1 AND status = 'running'`,
          [admission.threadId],
        );
        throw new ThreadBusyWith(rows[0]?.run_id);
      }
      default:
        throw new RunError(RunErrorCode.threadBusy, `thread ${admission.threadId} already has a run in progress`);
    }
  }

  /**
   * Records the run's end, the thread's resulting status (still `busy` when a queued run
   * follows) and, for a run that paused, one pending approval per interrupt (returned, to be
   * announced).
   */
  complete(run: RunRecord, outcome: RunOutcome, end: { lastSeq: number; nextQueued: boolean }): Promise<ApprovalRecord[]> {
    return this.db.transaction(async (tx) => {
      await this.runs.finish(run.runId, outcome.status, { error: outcome.error, lastSeq: end.lastSeq }, tx);
      await this.threads.setStatus(run.threadId, end.nextQueued ? 'busy' : THREAD_STATUS_AFTER[outcome.status], tx);
      if (!outcome.interrupts.length) return [];
      return this.approvals.insertPending(
        tx,
        outcome.interrupts.map((i) => ({ threadId: run.threadId, interruptId: i.id, runId: run.runId, requestedBy: run.owner, value: i.value })),
      );
    });
  }
}
