import type { Observable } from 'rxjs';
import type { Principal } from '@riser/auth';
import type { Owner, RunRecord } from '@riser/persistence';
import type { WatchableRun } from './archived-run.js';
import { RunEventLog, type EventLogLimits } from './event-log.js';
import type { RunEvent } from './run-event.js';
import type { RunRequest } from './run-request.js';
import { subscribeToLog, type SubscribeOptions } from './run-subscription.js';

/** Why the run core stopped a run: each maps to a final status and error code. */
export type StopReason = 'cancelled' | 'timeout' | 'shutdown' | 'interrupted' | 'rollback' | 'disconnected';

/**
 * A run executing in this process: its event log, its abort signal, its subscribers.
 * It outlives any connection watching it.
 */
export class ActiveRun implements WatchableRun {
  readonly log: RunEventLog;
  private readonly controller = new AbortController();
  private stopReasonValue?: StopReason;
  private subscribers = 0;
  private resolveFinished!: () => void;
  /** Settles when the run has ended and its end is recorded. */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));
  private resolveTurn!: (go: boolean) => void;
  /**
   * Resolves `true` when the thread is the run's (at once, or when a queued run's turn
   * comes), `false` if it never will be. A delayed run then still waits until `dueAt`.
   */
  readonly turn = new Promise<boolean>((resolve) => (this.resolveTurn = resolve));
  /** When the run may start executing (epoch ms): its admission plus `afterSeconds`. */
  readonly dueAt: number;
  /** The thread's newest checkpoint before this run wrote any: what a rollback returns to. */
  baseCheckpointId: string | null;

  constructor(
    readonly record: RunRecord,
    readonly principal: Principal,
    readonly request: RunRequest,
    limits: EventLogLimits,
    /** Who owns the thread (the principal may be an approver resuming it). */
    readonly threadOwner: Owner,
    /** Admitted behind the thread's running or pending run: its turn comes when that one ends. */
    readonly isQueued = false,
  ) {
    this.log = new RunEventLog(limits);
    this.baseCheckpointId = record.baseCheckpointId;
    this.dueAt = Date.now() + (request.afterSeconds ?? 0) * 1000;
    if (!isQueued) this.resolveTurn(true);
  }

  /** Admitted `pending` (queued or delayed): it must take the thread before executing. */
  get isPending(): boolean {
    return this.record.status === 'pending';
  }

  beginTurn(go: boolean): void {
    this.resolveTurn(go);
  }

  get runId(): string {
    return this.record.runId;
  }

  get threadId(): string {
    return this.record.threadId;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopReason(): StopReason | undefined {
    return this.stopReasonValue;
  }

  get isEnded(): boolean {
    return this.log.isEnded;
  }

  get lastSeq(): number | undefined {
    return this.log.isEnded ? this.log.lastSeq : undefined;
  }

  /** Aborts the graph through its signal; the first reason given wins. */
  stop(reason: StopReason): boolean {
    if (this.stopReasonValue || this.log.isEnded) return false;
    this.stopReasonValue = reason;
    this.controller.abort(new Error(`run ${reason}`));
    // A queued run stopped before its turn never executes.
    this.resolveTurn(false);
    return true;
  }

  markFinished(): void {
    this.resolveFinished();
  }

  /**
   * Events after a cursor, then live. With `on_disconnect: "cancel"`, the run is stopped
   * when its last subscriber goes while it still runs.
   */
  subscribe<T = RunEvent>(options: SubscribeOptions<T> = {}): Observable<T> {
    return subscribeToLog<T>(this.log, {
      ...options,
      onOpen: () => this.subscribers++,
      onClose: () => {
        if (--this.subscribers === 0 && this.request.onDisconnect === 'cancel' && !this.log.isEnded) {
          this.stop('disconnected');
        }
      },
    });
  }
}
