import { Inject, Injectable, Logger } from '@nestjs/common';
import { RunStore } from '@riser/persistence';
import { RunSignals } from './cluster/run-signals.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunRegistry } from './run-registry.js';
import { RunScheduler } from './run-scheduler.js';
import { RunService } from './run.service.js';
import { RunControl } from './run-control.js';

/**
 * The run core's part of a shutdown: no new runs, no more claims; the runs executing here
 * get `SHUTDOWN_GRACE_MS` to finish. Then, alone, the rest end with `shutdown`; with
 * replicas they are handed back and resumed elsewhere from their checkpoints.
 */
@Injectable()
export class RunDrain {
  private readonly logger = new Logger('RunDrain');

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly runs: RunService,
    private readonly control: RunControl,
    private readonly scheduler: RunScheduler,
    private readonly registry: RunRegistry,
    private readonly store: RunStore,
    private readonly signals: RunSignals,
  ) {}

  async drain(): Promise<void> {
    this.runs.stopAccepting();
    this.scheduler.stop();
    if (!this.options.takeover) {
      // Nothing here will claim them any more, and no other replica will.
      for (const record of await this.store.pendingOf(this.options.worker.boot)) await this.control.endPending(record, 'shutdown');
    }
    const active = this.registry.active();
    if (active.length) {
      this.logger.log(`waiting up to ${this.options.shutdownGraceMs} ms for ${active.length} run(s)`);
      const grace = new Promise((resolve) => setTimeout(resolve, this.options.shutdownGraceMs).unref());
      await Promise.race([Promise.all(active.map((r) => r.finished)), grace]);
    }
    const left = this.registry.active();
    if (!left.length) return;
    if (!this.options.takeover) {
      for (const run of left) run.stop('shutdown');
      await Promise.all(left.map((r) => r.finished));
      return;
    }
    for (const run of left) run.letGoOf('handed_back');
    await Promise.all(left.map((r) => r.finished));
    const released = await this.store.release(left.map((r) => r.runId), this.options.worker.boot);
    this.logger.log(`handed ${released.length} run(s) back to the other replicas`);
    this.signals.notify({ kind: 'runs.claimable' });
  }
}
