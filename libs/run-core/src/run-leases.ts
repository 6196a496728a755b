import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RunStore, type RunRecord } from '@riser/persistence';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunFailureCode } from './run-error.js';
import { RunRegistry } from './run-registry.js';

/** Boot ids of the apps alive in this process (one in production; several in tests). */
const LIVE_BOOTS = new Set<string>();

/**
 * Leases on the runs this process executes, renewed while they run, and the sweep that
 * finds runs whose process died (kill -9, a lost node): at start, and then periodically.
 * Such a run is marked `error` with `interrupted_by_restart` and its thread made usable again.
 */
@Injectable()
export class RunLeases implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RunLeases');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly runs: RunStore,
    private readonly registry: RunRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    LIVE_BOOTS.add(this.options.worker.boot);
    await this.sweep();
    this.timer = setInterval(() => void this.tick(), Math.max(1000, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    LIVE_BOOTS.delete(this.options.worker.boot);
  }

  /** Marks orphaned runs; returns them. */
  async sweep(): Promise<RunRecord[]> {
    const me = this.options.worker;
    const orphans = (await this.runs.activeNotOwnedBy(me.boot)).filter((run) => this.isOrphaned(run));
    for (const run of orphans) {
      const marked = await this.runs.markOrphaned(run.runId, {
        code: RunFailureCode.interruptedByRestart,
        message: 'the process running this run stopped before it finished',
      });
      if (marked) this.logger.warn({ msg: 'run marked interrupted_by_restart', run_id: run.runId, thread_id: run.threadId, worker: run.worker?.id });
    }
    return orphans;
  }

  private isOrphaned(run: RunRecord): boolean {
    if (!run.leaseExpiresAt || run.leaseExpiresAt.getTime() < Date.now()) return true;
    const worker = run.worker;
    const me = this.options.worker;
    if (!worker || worker.host !== me.host) return false;
    // Same host: a process that is gone will not finish it; nor will an earlier start of
    // this very pid (a container restarts as pid 1 again), unless that app is alive here.
    if (worker.pid === me.pid) return !LIVE_BOOTS.has(worker.boot);
    return !isAlive(worker.pid);
  }

  private async tick(): Promise<void> {
    try {
      await this.runs.renewLeases(this.registry.active().map((r) => r.runId), this.options.leaseMs);
      await this.sweep();
    } catch (err) {
      this.logger.warn({ msg: 'lease renewal failed', err: (err as Error).message });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
