import { Inject, Injectable } from '@nestjs/common';
import { hasRole, type Principal } from '@riser/auth';
import {
  Database,
  RunStore,
  type ApprovalRecord,
  type PoolClient,
  type RunRecord,
  type ThreadRecord,
  type WorkerIdentity,
} from '@riser/persistence';
import { GraphRegistry } from './graphs/graph-registry.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunError, RunErrorCode } from './run-error.js';
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
  /** Due this many ms later (`after_seconds`): pending until then, the thread kept for it. */
  delayMs?: number;
  /** What to execute, for whichever replica claims the run. */
  request: Record<string, unknown>;
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

/**
 * Admitting a run onto its thread in one round trip (`riser_rules.admit_run`): the thread
 * created for the caller on first use, access checked, one running run per thread. A refused run
 * leaves nothing behind: not the thread it would have created, not a run row. A run that
 * is queued or delayed is admitted `pending` and keeps the thread busy all the same.
 */
@Injectable()
export class RunAdmission {
  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly db: Database,
    private readonly runs: RunStore,
    private readonly graphs: GraphRegistry,
    private readonly events: RunCoreEvents,
  ) {}

  /** Admits the run; interrupts a new message went past are announced as decided (cancelled). */
  async admit(principal: Principal, admission: Admission): Promise<Admitted> {
    if (!this.graphs.has(admission.assistantId)) throw new RunError(RunErrorCode.assistantNotFound, `no assistant "${admission.assistantId}"`);
    const args = {
      ...admission,
      owner: { sub: principal.sub, tenant: principal.tenant },
      isApprover: hasRole(principal, this.options.approverRole),
      maxActivePerTenant: this.options.maxActiveRunsPerTenant,
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
    for (const approval of result.cancelled) this.events.decided(result.thread.owner, approval);
    return { record: result.run, thread: result.thread, cancelled: result.cancelled, queued: result.queued };
  }
}

function refusal(result: Exclude<Awaited<ReturnType<RunStore['admit']>>, { outcome: 'admitted' }>, admission: Admission): Error {
  switch (result.outcome) {
    case 'forbidden':
      return new RunError(RunErrorCode.forbidden, 'only the thread owner can start runs on it');
    case 'not_found':
      return new RunError(RunErrorCode.threadNotFound, `thread ${admission.threadId} not found`);
    case 'too_many_runs':
      return new RunError(RunErrorCode.tooManyRuns, 'this tenant has as many runs active as it may (MAX_ACTIVE_RUNS_PER_TENANT); retry when one ends');
    default:
      if (admission.multitaskStrategy === 'interrupt' || admission.multitaskStrategy === 'rollback') return new ThreadBusyWith(result.runningRunId);
      return new RunError(RunErrorCode.threadBusy, `thread ${admission.threadId} already has a run in progress`);
  }
}
