import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import { RunStore, type RunRecord } from '@riser/persistence';
import { ThreadAccess } from './access.js';
import { RunLogs } from './cluster/run-logs.js';
import { RunSignals, type StopReason } from './cluster/run-signals.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunError, RunErrorCode } from './run-error.js';
import { STOPPED } from './run-executor.js';
import type { RunHandle } from './run-handle.js';
import { RunHandles } from './run-handles.js';
import { ThreadService } from './thread.service.js';

/**
 * Stopping runs wherever they are: a pending run (queued, delayed) is ended at once in
 * Postgres; a running one is signalled to the replica executing it.
 */
@Injectable()
export class RunControl {
  private readonly access: ThreadAccess;

  constructor(
    @Inject(RUN_CORE_OPTIONS) options: RunCoreOptions,
    private readonly threads: ThreadService,
    private readonly store: RunStore,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
    private readonly handles: RunHandles,
  ) {
    this.access = new ThreadAccess(options.approverRole);
  }

  /**
   * Stops a running (or pending) run (owner or approver); it ends `cancelled`. With `wait`,
   * resolves once it has ended, so the thread takes the next message right away.
   */
  async cancel(principal: Principal, threadId: string, runId: string, options: { action?: 'interrupt' | 'rollback'; wait?: boolean } = {}): Promise<RunHandle> {
    const thread = await this.threads.readable(principal, threadId);
    if (!this.access.canDecide(principal, thread)) throw new RunError(RunErrorCode.forbidden, 'not allowed to cancel runs on this thread');
    const record = await this.store.get(runId);
    if (!record || record.threadId !== threadId) throw new RunError(RunErrorCode.runNotFound, `run ${runId} not found on thread ${threadId}`);
    if (record.endedAt) throw new RunError(RunErrorCode.runNotActive, `run ${runId} already ended`);
    const handle = this.handles.of(record, thread.owner);
    await this.stop(record, options.action === 'rollback' ? 'rollback' : 'cancelled');
    if (options.wait !== false) await handle.finished;
    return handle;
  }

  /** Multitask `interrupt`/`rollback`: stops the thread's current run and waits for its end. */
  async displace(runId: string | undefined, reason: 'interrupted' | 'rollback'): Promise<void> {
    // The run may have ended between the refusal and now: the next admission will tell.
    const record = runId && (await this.store.get(runId));
    if (!record || record.endedAt) return;
    await this.stop(record, reason);
    await this.handles.of(record).finished;
  }

  /** Ends a run that has not started; `false` when it started meanwhile. */
  async endPending(record: RunRecord, reason: StopReason): Promise<boolean> {
    const { status, error } = STOPPED[reason];
    const { ended } = await this.store.finish(record.runId, { status, error, onlyPending: true });
    if (!ended) return false;
    // A run rolled back before it started is deleted, as the official server does.
    if (reason === 'rollback') await this.store.deleteEnded(record.runId);
    await this.logs.appendDetached(record.runId, [...(error ? [{ event: 'error' as const, data: error }] : []), { event: 'end', data: { status } }]);
    this.signals.notify({ kind: 'runs.claimable' });
    return true;
  }

  /** A pending run ends here and now; a running one is signalled to its executor. */
  private async stop(record: RunRecord, reason: StopReason): Promise<void> {
    if (record.status === 'pending' && (await this.endPending(record, reason))) return;
    await this.signals.stop({ runId: record.runId, reason });
  }
}
