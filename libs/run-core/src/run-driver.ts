import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CheckpointStore, RunStore } from '@riser/persistence';
import type { ActiveRun } from './active-run.js';
import { GraphRegistry } from './graphs/graph-registry.js';
import { RunAdmission } from './run-admission.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunFailureCode } from './run-error.js';
import { RunExecutor, STOPPED, type RunOutcome } from './run-executor.js';
import { RunRegistry } from './run-registry.js';

/**
 * Takes an admitted run to its end: waits for its turn when it was queued and for its due
 * time when it was delayed, takes the thread, executes the graph under the run's timeout,
 * records the end, announces its interrupts, then hands the thread to the next queued run.
 * Runs detached from any caller; never throws.
 */
@Injectable()
export class RunDriver {
  private readonly logger = new Logger('RunDriver');

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly graphs: GraphRegistry,
    private readonly admission: RunAdmission,
    private readonly executor: RunExecutor,
    private readonly registry: RunRegistry,
    private readonly runs: RunStore,
    private readonly checkpoints: CheckpointStore,
    private readonly events: RunCoreEvents,
  ) {}

  async drive(run: ActiveRun): Promise<void> {
    let outcome: RunOutcome;
    try {
      const go = (await run.turn) && (await this.due(run)) && (await this.claim(run));
      outcome = go ? await this.execute(run) : { ...STOPPED[run.stopReason ?? 'cancelled'], interrupts: [] };
    } catch (err) {
      this.logger.error({ msg: 'run could not be executed', run_id: run.runId, err: (err as Error).message });
      outcome = { status: 'error', error: { code: RunFailureCode.graphError, message: 'the graph could not be loaded' }, interrupts: [] };
    }
    await this.finish(run, outcome);
  }

  private async execute(run: ActiveRun): Promise<RunOutcome> {
    const requested = run.request.timeoutMs ?? this.options.runTimeoutMs;
    const timer = setTimeout(() => run.stop('timeout'), Math.min(requested, this.options.maxRunTimeoutMs));
    try {
      const graph = await this.graphs.get(run.record.assistantId, { configurable: { thread_id: run.threadId } });
      return await this.executor.execute(run, graph);
    } finally {
      clearTimeout(timer);
    }
  }

  private async finish(run: ActiveRun, outcome: RunOutcome): Promise<void> {
    if (outcome.interrupts.length) run.log.append({ event: 'interrupt', data: { interrupts: outcome.interrupts } });
    if (outcome.error) run.log.append({ event: 'error', data: outcome.error });
    if (run.stopReason === 'rollback') await this.rollBack(run);
    const next = this.registry.nextQueued(run.threadId, run);
    try {
      const requested = await this.admission.complete(run.record, outcome, { lastSeq: run.log.lastSeq + 1, nextQueued: !!next });
      for (const approval of requested) this.events.requested(run.threadOwner, approval);
    } catch (err) {
      this.logger.error({ msg: 'could not record the end of a run', run_id: run.runId, err: (err as Error).message });
    }
    // `end` comes after the database knows: a client that saw it reads the final state.
    run.log.append({ event: 'end', data: { status: outcome.status } });
    this.registry.retire(run, this.options.log.ttlMs);
    run.markFinished();
    this.logger.log({ msg: 'run ended', run_id: run.runId, thread_id: run.threadId, status: outcome.status });
    next?.beginTurn(true);
  }

  /** Waits until the run is due (`after_seconds`); `false` when it was stopped meanwhile. */
  private async due(run: ActiveRun): Promise<boolean> {
    const wait = run.dueAt - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: run.signal }).catch(() => undefined);
    return !run.stopReason;
  }

  /** A pending run (queued or delayed) becomes the thread's running run, from its latest checkpoint. */
  private async claim(run: ActiveRun): Promise<boolean> {
    if (!run.isPending) return true;
    try {
      run.baseCheckpointId = await this.checkpoints.latestId(run.threadId);
      if (await this.runs.promote(run.runId, this.options.leaseMs)) return true;
      this.logger.warn({ msg: 'a pending run could not take its thread', run_id: run.runId });
    } catch (err) {
      this.logger.error({ msg: 'could not promote a pending run', run_id: run.runId, err: (err as Error).message });
    }
    run.stop('cancelled');
    return false;
  }

  /** Discards what the run wrote: every checkpoint of the thread made after it was admitted. */
  private async rollBack(run: ActiveRun): Promise<void> {
    try {
      const deleted = await this.checkpoints.deleteAfter(run.threadId, run.baseCheckpointId);
      this.logger.log({ msg: 'run rolled back', run_id: run.runId, thread_id: run.threadId, checkpoints_deleted: deleted });
    } catch (err) {
      this.logger.error({ msg: 'rollback failed', run_id: run.runId, err: (err as Error).message });
    }
  }
}
