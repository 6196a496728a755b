import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RunStore, type RunRecord } from '@riser/persistence';
import { RunLogs } from './cluster/run-logs.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunFailureCode } from './run-error.js';

/** Boot ids of the apps alive in this process (one in production; several in tests). */
const LIVE_BOOTS = new Set<string>();

/**
 * Runs whose process is gone. On one replica (no takeover) they end as `error` with
 * `interrupted_by_restart` and their threads are usable again, as they always did; with
 * replicas they are taken over instead, and this only says which runs of this host are
 * certainly orphaned (their process is dead) so they need not wait for their lease.
 */
@Injectable()
export class RunOrphans implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RunOrphans');

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly runs: RunStore,
    private readonly logs: RunLogs,
  ) {}

  onModuleInit(): void {
    LIVE_BOOTS.add(this.options.worker.boot);
  }

  onApplicationShutdown(): void {
    LIVE_BOOTS.delete(this.options.worker.boot);
  }

  /** Ends orphaned runs (one replica); returns them. */
  async sweep(): Promise<RunRecord[]> {
    const orphans = (await this.runs.activeNotOwnedBy(this.options.worker.boot)).filter((run) => this.isOrphaned(run));
    const error = { code: RunFailureCode.interruptedByRestart, message: 'the process running this run stopped before it finished' };
    for (const run of orphans) {
      const { ended } = await this.runs.finish(run.runId, { status: 'error', error });
      if (!ended) continue;
      await this.logs.appendDetached(run.runId, [
        { event: 'error', data: error },
        { event: 'end', data: { status: 'error' } },
      ]);
      this.logger.warn({ msg: 'run marked interrupted_by_restart', run_id: run.runId, thread_id: run.threadId, worker: run.worker?.id });
    }
    return orphans;
  }

  /** Running runs of this host whose process is certainly gone (with replicas). */
  async deadHere(): Promise<string[]> {
    const active = await this.runs.activeNotOwnedBy(this.options.worker.boot);
    return active.filter((run) => run.status === 'running' && this.isDeadHere(run)).map((run) => run.runId);
  }

  private isOrphaned(run: RunRecord): boolean {
    if (!run.leaseExpiresAt || run.leaseExpiresAt.getTime() < Date.now()) return true;
    return this.isDeadHere(run);
  }

  private isDeadHere(run: RunRecord): boolean {
    const worker = run.worker;
    const me = this.options.worker;
    if (!worker || worker.host !== me.host) return false;
    // Same host: a process that is gone will not finish it; nor will an earlier start of
    // this very pid (a container restarts as pid 1 again), unless that app is alive here.
    if (worker.pid === me.pid) return !LIVE_BOOTS.has(worker.boot);
    return !isAlive(worker.pid);
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
