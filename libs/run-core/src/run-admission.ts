import { Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import {
  ApprovalStore,
  Database,
  RunStore,
  ThreadBusyConflict,
  ThreadStore,
  type ApprovalRecord,
  type PoolClient,
  type RunRecord,
  type ThreadRecord,
  type ThreadStatus,
} from '@riser/persistence';
import type { ThreadAccess } from './access.js';
import { RunError, RunErrorCode } from './run-error.js';
import type { RunOutcome } from './run-executor.js';

export interface Admission {
  runId: string;
  threadId: string;
  assistantId: string;
  kwargs: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  threadMetadata?: Record<string, unknown>;
  multitaskStrategy: string;
  workerId: string;
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
      let record: RunRecord;
      try {
        record = await this.runs.insert(tx, { ...admission, owner, status: 'running' });
      } catch (err) {
        if (err instanceof ThreadBusyConflict) {
          throw new RunError(RunErrorCode.threadBusy, `thread ${admission.threadId} already has a run in progress`);
        }
        throw err;
      }
      // A new message moves the conversation past any interrupt still waiting.
      const cancelled = admission.intent === 'write' ? await this.approvals.cancelPending(tx, admission.threadId, owner) : [];
      await this.threads.setStatus(admission.threadId, 'busy', tx);
      return { record, thread, cancelled };
    });
  }

  /**
   * Records the run's end, the thread's resulting status and, for a run that paused, one
   * pending approval per interrupt (returned, to be announced).
   */
  complete(run: RunRecord, outcome: RunOutcome): Promise<ApprovalRecord[]> {
    return this.db.transaction(async (tx) => {
      await this.runs.finish(run.runId, outcome.status, outcome.error, tx);
      await this.threads.setStatus(run.threadId, THREAD_STATUS_AFTER[outcome.status], tx);
      if (!outcome.interrupts.length) return [];
      return this.approvals.insertPending(
        tx,
        outcome.interrupts.map((i) => ({ threadId: run.threadId, interruptId: i.id, runId: run.runId, requestedBy: run.owner, value: i.value })),
      );
    });
  }
}
