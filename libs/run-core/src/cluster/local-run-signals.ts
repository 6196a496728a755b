import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import { RunSignals, type RunNote, type StopReason, type StopSignal } from './run-signals.js';

/** How long a stop signal is remembered for an executor that has not started yet. */
const REMEMBER_MS = 10 * 60_000;

/** Run signals within one process (no replicas). */
@Injectable()
export class LocalRunSignals extends RunSignals {
  readonly stops$ = new Subject<StopSignal>();
  readonly notes$ = new Subject<RunNote>();
  private readonly requested = new Map<string, StopReason>();
  private readonly subscribers = new Map<string, number>();

  async stop(signal: StopSignal): Promise<void> {
    if (!this.requested.has(signal.runId)) {
      this.requested.set(signal.runId, signal.reason);
      setTimeout(() => this.requested.delete(signal.runId), REMEMBER_MS).unref();
    }
    this.stops$.next(signal);
  }

  async stopRequested(runId: string): Promise<StopReason | undefined> {
    return this.requested.get(runId);
  }

  notify(note: RunNote): void {
    this.notes$.next(note);
  }

  subscriberJoined(runId: string): void {
    this.subscribers.set(runId, (this.subscribers.get(runId) ?? 0) + 1);
  }

  async subscriberLeft(runId: string): Promise<boolean> {
    const left = (this.subscribers.get(runId) ?? 1) - 1;
    if (left > 0) this.subscribers.set(runId, left);
    else this.subscribers.delete(runId);
    return left <= 0;
  }
}
