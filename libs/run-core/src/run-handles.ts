import { Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import { RunStore, type Owner, type RunRecord } from '@riser/persistence';
import { RunLogs } from './cluster/run-logs.js';
import { RunSignals } from './cluster/run-signals.js';
import { RunError, RunErrorCode } from './run-error.js';
import { RunHandle } from './run-handle.js';
import { ThreadService } from './thread.service.js';

/** Finds runs for transports, wherever they execute, as handles they can watch. */
@Injectable()
export class RunHandles {
  constructor(
    private readonly threads: ThreadService,
    private readonly store: RunStore,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
  ) {}

  of(record: RunRecord, threadOwner?: Owner): RunHandle {
    return new RunHandle(record, this.logs, this.signals, threadOwner);
  }

  /**
   * The run a reader wants to watch: the given one, or the thread's current (else latest)
   * run. `thread_not_found` for a thread the principal cannot read; `run_not_found` for a run
   * not on that thread. A finished run whose events expired can still be watched: it
   * answers with `replay_gap` and its end.
   */
  async locate(principal: Principal, threadId: string, runId?: string): Promise<RunHandle> {
    const thread = await this.threads.readable(principal, threadId);
    const record = runId ? await this.store.get(runId) : await this.store.currentForThread(threadId);
    if (!record || record.threadId !== threadId) {
      throw new RunError(RunErrorCode.runNotFound, `run ${runId ?? '(latest)'} is not available on thread ${threadId}`);
    }
    return this.of(record, thread.owner);
  }

  /** A run by id, for a transport that was told it was admitted (thread followers). */
  async byId(runId: string): Promise<RunHandle | undefined> {
    const record = await this.store.get(runId);
    return record && this.of(record);
  }
}
