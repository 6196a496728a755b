import { Inject, Injectable, Logger } from '@nestjs/common';
import { CheckpointStore, RunStore, ThreadStore } from '@riser/persistence';
import { RunLogs } from './cluster/run-logs.js';
import { RunSignals } from './cluster/run-signals.js';
import { GraphRegistry } from './graphs/graph-registry.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunFailureCode } from './run-error.js';
import type { RunExecution } from './run-execution.js';
import { RunExecutor, STOPPED, type RunOutcome } from './run-executor.js';
import { RunRegistry } from './run-registry.js';

/**
 * Takes one attempt at a run to its end: executes the graph under the run's timeout,
 * records the end (fenced: only the attempt holding the run may), announces its interrupts,
 * and says that the thread's next pending run may start. An attempt that is fenced or handed
 * back ends here without ending the run. Runs detached from any caller; never throws.
 */
@Injectable()
export class RunDriver {
  private readonly logger = new Logger('RunDriver');

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly graphs: GraphRegistry,
    private readonly executor: RunExecutor,
    private readonly registry: RunRegistry,
    private readonly runs: RunStore,
    private readonly threads: ThreadStore,
    private readonly checkpoints: CheckpointStore,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
    private readonly events: RunCoreEvents,
  ) {}

  async drive(run: RunExecution): Promise<void> {
    this.registry.add(run);
    let outcome: RunOutcome;
    try {
      // A stop sent before this process listened (a cancel racing a claim) still counts.
      const requested = await this.signals.stopRequested(run.runId);
      if (requested) run.stop(requested);
      outcome = run.stopReason ? { ...STOPPED[run.stopReason], interrupts: [] } : await this.execute(run);
    } catch (err) {
      this.logger.error({ msg: 'run could not be executed', run_id: run.runId, err: (err as Error).message });
      outcome = { status: 'error', error: { code: RunFailureCode.graphError, message: 'the graph could not be loaded' }, interrupts: [] };
    }
    if (run.letGo) await this.letGo(run);
    else await this.finish(run, outcome);
  }

  private async execute(run: RunExecution): Promise<RunOutcome> {
    const requested = run.request.timeoutMs ?? this.options.runTimeoutMs;
    const timer = setTimeout(() => run.stop('timeout'), Math.min(requested, this.options.maxRunTimeoutMs));
    try {
      const graph = await this.graphs.get(run.record.assistantId, { configurable: { thread_id: run.threadId } });
      return await this.executor.execute(run, graph);
    } finally {
      clearTimeout(timer);
    }
  }

  private async finish(run: RunExecution, outcome: RunOutcome): Promise<void> {
    if (outcome.interrupts.length) run.append({ event: 'interrupt', data: { interrupts: outcome.interrupts } });
    if (outcome.error) run.append({ event: 'error', data: outcome.error });
    if (run.stopReason === 'rollback') await this.rollBack(run);
    let ended = true;
    try {
      const result = await this.runs.finish(run.runId, {
        status: outcome.status,
        error: outcome.error,
        lastSeq: run.log.lastSeq + 1,
        interrupts: outcome.interrupts.map((i) => ({ id: i.id, value: i.value })),
        fence: { boot: this.options.worker.boot, attempt: run.attempt },
      });
      ended = result.ended;
      if (result.approvals.length) {
        const owner = (await this.threads.get(run.threadId))?.owner ?? run.owner;
        for (const approval of result.approvals) this.events.requested(owner, approval);
      }
    } catch (err) {
      this.logger.error({ msg: 'could not record the end of a run', run_id: run.runId, err: (err as Error).message });
    }
    if (!ended) {
      // Another attempt holds the run now: it writes the end, not this one.
      this.logger.warn({ msg: 'run was taken over before it ended here', run_id: run.runId, attempt: run.attempt });
      run.letGoOf('fenced');
      return this.letGo(run);
    }
    // `end` comes after the database knows: a client that saw it reads the final state.
    run.log.append({ event: 'end', data: { status: outcome.status } });
    await this.logs.close(run.runId, 'ended').catch((err: Error) => this.logger.warn({ msg: 'could not store the end of a run log', run_id: run.runId, err: err.message }));
    this.registry.remove(run);
    run.markFinished();
    this.logger.log({ msg: 'run ended', run_id: run.runId, thread_id: run.threadId, status: outcome.status, attempt: run.attempt });
    this.signals.notify({ kind: 'runs.claimable' });
  }

  /** This attempt stops here; the run goes on elsewhere (fenced) or is resumed elsewhere (handed back). */
  private async letGo(run: RunExecution): Promise<void> {
    await this.logs.close(run.runId, 'handed_on').catch(() => undefined);
    this.registry.remove(run);
    run.markFinished();
    this.logger.log({ msg: run.letGo === 'fenced' ? 'run lost to another attempt' : 'run handed back', run_id: run.runId, attempt: run.attempt });
  }

  /** Discards what the run wrote: every checkpoint of the thread made after it was admitted. */
  private async rollBack(run: RunExecution): Promise<void> {
    try {
      const deleted = await this.checkpoints.deleteAfter(run.threadId, run.record.baseCheckpointId);
      this.logger.log({ msg: 'run rolled back', run_id: run.runId, thread_id: run.threadId, checkpoints_deleted: deleted });
    } catch (err) {
      this.logger.error({ msg: 'rollback failed', run_id: run.runId, err: (err as Error).message });
    }
  }
}
