import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CheckpointStore, isDatabaseUnavailable, RunStore, type RunEnding } from '@riser/persistence';
import { RunLogs } from './cluster/run-logs.js';
import { RunSignals } from './cluster/run-signals.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import type { RunExecution } from './run-execution.js';
import type { RunOutcome } from './run-executor.js';

/** While the database cannot be reached, the end of a run is tried again this often (doubling up to the cap). */
const END_RETRY_FIRST_MS = 250;
const END_RETRY_MAX_MS = 1_000;

/**
 * How an attempt at a run ends. The run's end is recorded only by the attempt that holds it
 * (fenced in Postgres by process start and attempt number): then its last events and `end`
 * are written, its interrupts announced, and pending runs may be claimed. An attempt that no
 * longer holds the run (fenced, or handed back at shutdown) just lets go of its log.
 */
@Injectable()
export class RunCompletion {
  private readonly logger = new Logger('RunCompletion');

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly runs: RunStore,
    private readonly checkpoints: CheckpointStore,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
    private readonly events: RunCoreEvents,
  ) {}

  async finish(run: RunExecution, outcome: RunOutcome): Promise<void> {
    if (run.letGo) return this.letGo(run);
    if (outcome.interrupts.length) run.append({ event: 'interrupt', data: { interrupts: outcome.interrupts } });
    if (outcome.error) run.append({ event: 'error', data: outcome.error });
    if (run.stopReason === 'rollback') await this.rollBack(run);
    const result = await this.recordEnd(run, {
      status: outcome.status,
      error: outcome.error,
      lastSeq: run.log.lastSeq + 1,
      interrupts: outcome.interrupts.map((i) => ({ id: i.id, value: i.value })),
      fence: { boot: this.options.worker.boot, attempt: run.attempt },
    });
    // Handed back (shutdown) while the database was away: the next holder ends it.
    if (!result && run.letGo) return this.letGo(run);
    // Unrecorded for another reason (logged): the run ends here all the same.
    const { ended = true, runsPending = true, approvals = [], threadOwner } = result ?? {};
    for (const approval of approvals) this.events.requested(threadOwner ?? run.owner, approval);
    if (!ended) {
      // Another attempt holds the run now: it writes the end, not this one.
      this.logger.warn({ msg: 'run was taken over before it ended here', run_id: run.runId, attempt: run.attempt });
      run.letGoOf('fenced');
      return this.letGo(run);
    }
    // As the official server: a rolled-back run is deleted, not kept as cancelled.
    if (run.stopReason === 'rollback') await this.forget(run.runId);
    // `end` comes after the database knows: a client that saw it reads the final state.
    run.log.append({ event: 'end', data: { status: outcome.status } });
    await this.logs.close(run.runId, 'ended').catch((err: Error) => this.logger.warn({ msg: 'could not store the end of a run log', run_id: run.runId, err: err.message }));
    this.logger.log({ msg: 'run ended', run_id: run.runId, thread_id: run.threadId, status: outcome.status, attempt: run.attempt });
    this.events.lifecycle$.next({ kind: 'ended', runId: run.runId, status: outcome.status, code: outcome.error?.code, durationMs: Date.now() - run.startedAt });
    // The thread (and a tenant's slot) is free: claim only when a run waits (one query less per
    // run otherwise). One admitted while this run ended notes itself; the claim timer backs both.
    if (runsPending) this.signals.notify({ kind: 'runs.claimable' });
  }

  /**
   * Records the run's end. While the database cannot be reached, tries again until it answers
   * (or the run is let go): a run whose end went unrecorded would keep its thread busy, and its
   * clients wait for `end` meanwhile, as `end` comes after the database knows. Any other failure
   * is logged and the run ends here regardless (undefined).
   */
  private async recordEnd(run: RunExecution, ending: RunEnding): Promise<Awaited<ReturnType<RunStore['finish']>> | undefined> {
    for (let delay = END_RETRY_FIRST_MS, warned = false; ; delay = Math.min(delay * 2, END_RETRY_MAX_MS)) {
      try {
        return await this.runs.finish(run.runId, ending);
      } catch (err) {
        if (!isDatabaseUnavailable(err)) {
          this.logger.error({ msg: 'could not record the end of a run', run_id: run.runId, err: (err as Error).message });
          return undefined;
        }
        if (!warned) {
          warned = true;
          this.logger.warn({ msg: 'the database is unavailable: the end of the run is recorded once it answers', run_id: run.runId, err: (err as Error).message });
        }
      }
      await sleep(delay);
      if (run.letGo) return undefined;
    }
  }

  /** This attempt stops here; the run goes on elsewhere (fenced) or is resumed elsewhere (handed back). */
  private async letGo(run: RunExecution): Promise<void> {
    await this.logs.close(run.runId, 'handed_on').catch(() => undefined);
    this.events.lifecycle$.next({ kind: 'let_go', runId: run.runId, why: run.letGo ?? 'fenced' });
    this.logger.log({ msg: run.letGo === 'fenced' ? 'run lost to another attempt' : 'run handed back', run_id: run.runId, attempt: run.attempt });
  }

  /** Deletes the record of a rolled-back run (its stream still ends for those watching it). */
  async forget(runId: string): Promise<void> {
    await this.runs.deleteEnded(runId).catch((err: Error) => this.logger.error({ msg: 'could not delete a rolled-back run', run_id: runId, err: err.message }));
  }

  /** Discards what the run wrote: every checkpoint of the thread made after it started. */
  private async rollBack(run: RunExecution): Promise<void> {
    try {
      const deleted = await this.checkpoints.deleteAfter(run.threadId, run.record.baseCheckpointId);
      this.logger.log({ msg: 'run rolled back', run_id: run.runId, thread_id: run.threadId, checkpoints_deleted: deleted });
    } catch (err) {
      this.logger.error({ msg: 'rollback failed', run_id: run.runId, err: (err as Error).message });
    }
  }
}
