import { Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import { Database, RunStore, ThreadBusyConflict, ThreadStore, type RunRecord, type ThreadStatus } from '@riser/persistence';
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
  ) {}

  admit(principal: Principal, access: ThreadAccess, admission: Admission): Promise<RunRecord> {
    return this.db.transaction(async (tx) => {
      const owner = { sub: principal.sub, tenant: principal.tenant };
      const { thread } = await this.threads.ensure(tx, admission.threadId, owner, admission.threadMetadata);
      if (!access.canWrite(principal, thread)) {
        if (access.canRead(principal, thread)) {
          throw new RunError(RunErrorCode.forbidden, 'only the thread owner can start runs on it');
        }
        throw new RunError(RunErrorCode.threadNotFound, `thread ${admission.threadId} not found`);
      }
      let record: RunRecord;
      try {
        record = await this.runs.insert(tx, { ...admission, owner, status: 'running' });
      } catch (err) {
        if (err instanceof ThreadBusyConflict) {
          throw new RunError(RunErrorCode.threadBusy, `thread ${admission.threadId} already has a run in progress`);
        }
        throw err;
      }
      await this.threads.setStatus(admission.threadId, 'busy', tx);
      return record;
    });
  }

  /** Records the run's end and the thread's resulting status. */
  async complete(run: RunRecord, outcome: RunOutcome): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.runs.finish(run.runId, outcome.status, outcome.error, tx);
      await this.threads.setStatus(run.threadId, THREAD_STATUS_AFTER[outcome.status], tx);
    });
  }
}
