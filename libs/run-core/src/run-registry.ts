import { Injectable } from '@nestjs/common';
import type { ActiveRun } from './active-run.js';

/**
 * The runs this process executes, and for a while those it finished (their logs serve
 * late rejoins until the retention time passes).
 */
@Injectable()
export class RunRegistry {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly running = new Map<string, ActiveRun>();

  add(run: ActiveRun): void {
    this.runs.set(run.runId, run);
    this.running.set(run.threadId, run);
  }

  get(runId: string): ActiveRun | undefined {
    return this.runs.get(runId);
  }

  /** The run executing on a thread here, if any. */
  runningOn(threadId: string): ActiveRun | undefined {
    return this.running.get(threadId);
  }

  active(): ActiveRun[] {
    return [...this.running.values()];
  }

  /** The run ended: keep its log for `ttlMs` more, then let it go. */
  retire(run: ActiveRun, ttlMs: number): void {
    if (this.running.get(run.threadId) === run) this.running.delete(run.threadId);
    setTimeout(() => {
      if (this.runs.get(run.runId) === run) this.runs.delete(run.runId);
    }, ttlMs).unref();
  }
}
