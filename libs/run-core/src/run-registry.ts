import { Injectable } from '@nestjs/common';
import type { ActiveRun } from './active-run.js';

/**
 * The runs this process executes or has queued, and for a while those it finished (their
 * logs serve late rejoins until the retention time passes).
 */
@Injectable()
export class RunRegistry {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly running = new Map<string, ActiveRun>();
  private readonly queues = new Map<string, ActiveRun[]>();

  add(run: ActiveRun): void {
    this.runs.set(run.runId, run);
    if (!run.isQueued) {
      this.running.set(run.threadId, run);
      return;
    }
    const queue = this.queues.get(run.threadId) ?? [];
    queue.push(run);
    this.queues.set(run.threadId, queue);
  }

  get(runId: string): ActiveRun | undefined {
    return this.runs.get(runId);
  }

  /** The run executing on a thread here, if any. */
  runningOn(threadId: string): ActiveRun | undefined {
    return this.running.get(threadId);
  }

  /** Runs executing or waiting for their turn. */
  active(): ActiveRun[] {
    return [...this.running.values(), ...[...this.queues.values()].flat()];
  }

  /**
   * The queued run that takes the thread after `finishing` (which must be the thread's
   * running run), in order of arrival; runs stopped while they waited are skipped.
   */
  nextQueued(threadId: string, finishing: ActiveRun): ActiveRun | undefined {
    if (this.running.get(threadId) !== finishing) return undefined;
    const queue = this.queues.get(threadId) ?? [];
    let next: ActiveRun | undefined;
    while ((next = queue.shift()) && next.stopReason) next = undefined;
    if (!queue.length) this.queues.delete(threadId);
    if (next) this.running.set(threadId, next);
    return next;
  }

  /** The run ended: keep its log for `ttlMs` more, then let it go. */
  retire(run: ActiveRun, ttlMs: number): void {
    if (this.running.get(run.threadId) === run) this.running.delete(run.threadId);
    const queue = this.queues.get(run.threadId);
    if (queue?.includes(run)) {
      queue.splice(queue.indexOf(run), 1);
      if (!queue.length) this.queues.delete(run.threadId);
    }
    setTimeout(() => {
      if (this.runs.get(run.runId) === run) this.runs.delete(run.runId);
    }, ttlMs).unref();
  }
}
