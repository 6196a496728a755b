import { Inject, Injectable, Logger } from '@nestjs/common';
import { RunSignals } from './cluster/run-signals.js';
import { GraphRegistry } from './graphs/graph-registry.js';
import { RunCompletion } from './run-completion.js';
import { runConfigOf } from './run-config.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunFailureCode } from './run-error.js';
import type { RunExecution } from './run-execution.js';
import { RunExecutor, STOPPED, type RunOutcome } from './run-executor.js';
import { RunRegistry } from './run-registry.js';

/**
 * Takes one attempt at a run to its end: registers it (so stop signals and the checkpoint
 * fence find it), honours a stop sent before it started, executes the graph under the run's
 * timeout, then hands the outcome to RunCompletion. Runs detached from any caller; never throws.
 */
@Injectable()
export class RunDriver {
  private readonly logger = new Logger('RunDriver');

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly graphs: GraphRegistry,
    private readonly executor: RunExecutor,
    private readonly registry: RunRegistry,
    private readonly signals: RunSignals,
    private readonly completion: RunCompletion,
    private readonly events: RunCoreEvents,
  ) {}

  drive(run: RunExecution): Promise<void> {
    // Inside src/'s wrappers (log scope, trace span): the core knows neither.
    const scope = {
      runId: run.runId,
      threadId: run.threadId,
      assistantId: run.record.assistantId,
      tenant: run.owner.tenant,
      attempt: run.attempt,
      protocol: run.request.protocol ?? 'simple',
      carrier: run.request.carrier,
      resumes: run.request.resumes,
    };
    return this.events.inRun(scope, () => this.attempt(run));
  }

  private async attempt(run: RunExecution): Promise<void> {
    this.registry.add(run);
    let outcome: RunOutcome;
    try {
      // A stop sent before this process listened (a cancel racing a claim) still counts.
      const requested = await this.signals.stopRequested(run.runId);
      if (requested) run.stop(requested);
      this.events.lifecycle$.next({
        kind: 'started',
        runId: run.runId,
        attempt: run.attempt,
        waitedMs: run.attempt === 1 ? run.startedAt - run.record.createdAt.getTime() : 0,
        takeover: run.attempt > 1,
      });
      outcome = run.stopReason ? { ...STOPPED[run.stopReason], interrupts: [] } : await this.execute(run);
    } catch (err) {
      this.logger.error({ msg: 'run could not be executed', run_id: run.runId, err: (err as Error).message });
      outcome = { status: 'error', error: { code: RunFailureCode.graphError, message: 'the graph could not be loaded' }, interrupts: [] };
    }
    try {
      await this.completion.finish(run, outcome);
    } finally {
      this.registry.remove(run);
      run.markFinished();
    }
  }

  private async execute(run: RunExecution): Promise<RunOutcome> {
    const requested = run.request.timeoutMs ?? this.options.runTimeoutMs;
    const timer = setTimeout(() => run.stop('timeout'), Math.min(requested, this.options.maxRunTimeoutMs));
    try {
      // A factory graph builds itself from the run's config, as on the official server.
      const config = runConfigOf(run, this.graphs.defaults(run.record.assistantId));
      const graph = await this.graphs.get(run.record.assistantId, config);
      return await this.executor.execute(run, graph, config);
    } finally {
      clearTimeout(timer);
    }
  }
}
