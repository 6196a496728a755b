import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CheckpointStore, RunStore, type RunRecord } from '@riser/persistence';
import type { Subscription } from 'rxjs';
import { RunLogs } from './cluster/run-logs.js';
import type { RunEventLog } from './event-log.js';
import { RunSignals } from './cluster/run-signals.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunDriver } from './run-driver.js';
import { RunFailureCode } from './run-error.js';
import { RunExecution } from './run-execution.js';
import { RunRegistry } from './run-registry.js';
import type { RunRequest } from './run-request.js';
import { RunOrphans } from './run-orphans.js';

/** How often pending runs are looked for (due delayed runs, lost wake-ups). */
const CLAIM_EVERY_MS = 1000;

/**
 * What this process executes besides the runs it admits: pending runs whose turn came
 * (queued behind a run that ended, or delayed and now due), claimed from Postgres; and, with
 * several replicas, runs whose lease ran out, taken over and resumed from their checkpoint.
 * It also renews the leases of the runs executing here, and lets go at once of a run whose
 * lease another process took (fencing).
 */
@Injectable()
export class RunScheduler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RunScheduler');
  private timers: NodeJS.Timeout[] = [];
  private subscription?: Subscription;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly runs: RunStore,
    private readonly checkpoints: CheckpointStore,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
    private readonly registry: RunRegistry,
    private readonly driver: RunDriver,
    private readonly orphans: RunOrphans,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.takeover) await this.orphans.sweep();
    this.timers = [
      setInterval(() => void this.renew(), Math.max(250, Math.floor(this.options.leaseMs / 3))),
      setInterval(() => void this.claim(), CLAIM_EVERY_MS),
    ];
    for (const timer of this.timers) timer.unref();
    this.subscription = this.signals.notes$.subscribe((note) => {
      if (note.kind === 'runs.claimable') void this.claim();
    });
  }

  /** Shutdown: nothing more is claimed or taken over here. */
  stop(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
  }

  /** Timers end with the app (after the runs have drained). */
  onApplicationShutdown(): void {
    this.stop();
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Claims every pending run whose turn came and, with replicas, takes over orphaned runs. */
  async claim(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const onlyMine = this.options.takeover ? undefined : this.options.worker.boot;
        let record: RunRecord | undefined;
        while (!this.stopped && (record = await this.runs.claimPending(this.options.worker, this.options.leaseMs, onlyMine))) {
          await this.start(record, false);
        }
        if (this.options.takeover) await this.takeOver();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.warn({ msg: 'claiming runs failed', err: (err as Error).message });
    } finally {
      this.running = false;
    }
  }

  private async takeOver(): Promise<void> {
    await this.runs.expireLeases(await this.orphans.deadHere());
    const error = { code: RunFailureCode.interruptedByRestart, message: `the run was lost ${this.options.maxAttempts} times` };
    for (;;) {
      if (this.stopped) return;
      const taken = await this.runs.takeOver(this.options.worker, this.options.leaseMs, this.options.maxAttempts, error);
      if (!taken) return;
      if (taken.outcome === 'failed') {
        this.logger.warn({ msg: 'run failed after its last attempt', run_id: taken.run.runId, attempts: taken.run.attempt });
        await this.logs.appendDetached(taken.run.runId, [
          { event: 'error', data: error },
          { event: 'end', data: { status: 'error' } },
        ]);
        this.signals.notify({ kind: 'runs.claimable' });
        continue;
      }
      this.logger.warn({ msg: 'run taken over', run_id: taken.run.runId, attempt: taken.run.attempt });
      await this.start(taken.run, true);
    }
  }

  /** Executes a claimed run here: a takeover resumes from the run's latest checkpoint. */
  private async start(record: RunRecord, takeover: boolean): Promise<void> {
    const log = await this.logs.open(record.runId, record.attempt, { onFenced: () => this.registry.get(record.runId)?.letGoOf('fenced') });
    if (log.lastSeq === 0) {
      // The admission's first event did not reach the store (or is on its way): the same event again.
      log.append({ event: 'metadata', data: { run_id: record.runId, thread_id: record.threadId, assistant_id: record.assistantId, attempt: 1 } });
    }
    let resume = false;
    if (takeover) {
      const latest = await this.checkpoints.latest(record.threadId);
      resume = !!latest && latest.id !== record.baseCheckpointId;
      // Frames of the supersteps after the checkpoint it resumes from are produced again: the
      // client drops them. (Told by the step each token carries, not by when the checkpoint
      // was written: LangGraph writes checkpoints asynchronously, after later tokens.)
      const discardFrom = resume ? firstFrameAfterStep(log, latest!.step ?? -1) : 2;
      log.append({ event: 'retry', data: { attempt: record.attempt, discard_from: discardFrom } });
    }
    const execution = new RunExecution(record, (record.request ?? {}) as RunRequest, log, resume);
    if (this.options.takeover) execution.leaseDeadline = Date.now() + this.options.leaseMs;
    void this.driver.drive(execution);
  }

  /** Renews the leases of the runs executing here; lets go of those another process took. */
  private async renew(): Promise<void> {
    const active = this.registry.active();
    const sentAt = Date.now();
    try {
      const kept = await this.runs.renewLeases(
        active.map((r) => r.runId),
        this.options.worker.boot,
        this.options.leaseMs,
      );
      for (const run of active) {
        if (kept.has(run.runId)) {
          if (this.options.takeover) run.leaseDeadline = sentAt + this.options.leaseMs;
        } else if (!run.log.isEnded) run.letGoOf('fenced');
      }
      await this.logs.keepAlive(active.map((r) => r.runId));
      // Alone, runs of a process that died are ended (with replicas they are taken over instead).
      if (!this.options.takeover) await this.orphans.sweep();
    } catch (err) {
      this.logger.warn({ msg: 'lease renewal failed', err: (err as Error).message });
    }
  }
}

/**
 * The seq of the run's first model token of a superstep after `step` (what a resumed attempt
 * says again), or the next seq when there is none. Tokens of subgraphs count by their
 * parent's token order only (their own steps are numbered apart).
 */
export function firstFrameAfterStep(log: RunEventLog, step: number): number {
  for (let seq = log.firstSeq; seq <= log.lastSeq; seq++) {
    const event = log.at(seq);
    if (event?.event !== 'message' || event.ns?.length) continue;
    const tokenStep = event.data.metadata.langgraph_step;
    if (typeof tokenStep === 'number' && tokenStep > step) return seq;
  }
  return log.lastSeq + 1;
}
