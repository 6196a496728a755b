import { Injectable } from '@nestjs/common';
import { hasRole, type Principal } from '@riser/auth';
import {
  Database,
  RunStore,
  type ApprovalRecord,
  type PoolClient,
  type RunRecord,
  type ThreadRecord,
  type ThreadStatus,
  type WorkerIdentity,
} from '@riser/persistence';
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
  /** Due later (`after_seconds`): pending until then, the thread kept for it. */
  delayed?: boolean;
  /** `write`: a new message (the owner only); `decide`: resuming an interrupt (owner or approver). */
  intent: 'write' | 'decide';
  /** Runs in the admitting transaction, before the run row: a failure admits nothing. */
  within?: (tx: PoolClient) => Promise<void>;
}

export interface Admitted {
  record: RunRecord;
  thread: ThreadRecord;
  /** Interrupts a new message went past, now cancelled. */
  cancelled: ApprovalRecord[];
  /** Waits behind the thread's running or pending run (`enqueue`). */
  queued: boolean;
}

/** The thread is busy and the caller asked to interrupt or roll back the run on it. */
export class ThreadBusyWith extends Error {
  constructor(readonly runId: string | undefined) {
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
 * The database side of a run's life, one round trip each way (`riser.admit_run`,
 * `riser.finish_run`): admitting it onto its thread — created for the caller on first use,
 * access checked, one running run per thread — and recording how it ended. A refused run
 * leaves nothing behind: not the thread it would have created, not a run row. A run that
 * is queued or delayed is admitted `pending` and keeps the thread busy all the same.
 */
@Injectable()
export class RunAdmission {
  constructor(
    private readonly db: Database,
    private readonly runs: RunStore,
    private readonly approverRole: string,
  ) {}

  async admit(principal: Principal, admission: Admission): Promise<Admitted> {
    const args = {
      ...admission,
      owner: { sub: principal.sub, tenant: principal.tenant },
      isApprover: hasRole(principal, this.approverRole),
    };
    const within = admission.within;
    // A hook shares the transaction (and is undone with it); otherwise the function alone is atomic.
    const result = within
      ? await this.db.transaction(async (tx) => {
          await within(tx);
          const admitted = await this.runs.admit(tx, args);
          if (admitted.outcome !== 'admitted') throw refusal(admitted, admission);
          return admitted;
        })
      : await this.runs.admit(this.db, args);
    if (result.outcome !== 'admitted') throw refusal(result, admission);
    return { record: result.run, thread: result.thread, cancelled: result.cancelled, queued: result.queued };
  }

  /**
   * Records the run's end, the thread's resulting status (still `busy` when a queued run
   * follows) and, for a run that paused, one pending approval per interrupt (returned, to be
   * announced).
   */
  complete(run: RunRecord, outcome: RunOutcome, end: { lastSeq: number; nextQueued: boolean }): Promise<ApprovalRecord[]> {
    return this.runs.finish(run.runId, {
      status: outcome.status,
      error: outcome.error,
      lastSeq: end.lastSeq,
      threadStatus: end.nextQueued ? 'busy' : THREAD_STATUS_AFTER[outcome.status],
      interrupts: outcome.interrupts.map((i) => ({ id: i.id, value: i.value })),
    });
  }
}

function refusal(result: Exclude<Awaited<ReturnType<RunStore['admit']>>, { outcome: 'admitted' }>, admission: Admission): Error {
  switch (result.outcome) {
    case 'forbidden':
      return new RunError(RunErrorCode.forbidden, 'only the thread owner can start runs on it');
    case 'not_found':
      return new RunError(RunErrorCode.threadNotFound, `thread ${admission.threadId} not found`);
    default:
      if (admission.multitaskStrategy === 'interrupt' || admission.multitaskStrategy === 'rollback') return new ThreadBusyWith(result.runningRunId);
      return new RunError(RunErrorCode.threadBusy, `thread ${admission.threadId} already has a run in progress`);
  }
}
