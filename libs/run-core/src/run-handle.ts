import { Observable, type Subscription } from 'rxjs';
import type { Owner, RunRecord } from '@riser/persistence';
import { ArchivedRun, type WatchableRun } from './archived-run.js';
import type { RunLogs } from './cluster/run-logs.js';
import type { RunSignals } from './cluster/run-signals.js';
import type { RunEvent } from './run-event.js';
import { subscribeToLog, type SubscribeOptions } from './run-subscription.js';

/**
 * A run as transports see it, wherever it executes: its record as it was when located, its
 * events through this replica's log of it, and whether it has finished. With
 * `on_disconnect: "cancel"`, the run is stopped when its last subscriber on any replica goes.
 */
export class RunHandle implements WatchableRun {
  private finishedPromise?: Promise<void>;

  constructor(
    readonly record: RunRecord,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
    /** Who owns the thread (the run's principal may be an approver resuming it). */
    readonly threadOwner: Owner = record.owner,
  ) {}

  get runId(): string {
    return this.record.runId;
  }

  get threadId(): string {
    return this.record.threadId;
  }

  get isEnded(): boolean {
    return this.record.endedAt !== null;
  }

  get lastSeq(): number | undefined {
    return this.isEnded ? this.record.lastSeq ?? undefined : undefined;
  }

  /** The stream modes its client asked for, as its protocol names them. */
  get clientModes(): string[] | undefined {
    return (this.record.request as { clientModes?: string[] } | null)?.clientModes;
  }

  /** Settles once the run has ended (its `end` event was written). */
  get finished(): Promise<void> {
    this.finishedPromise ??= new Promise<void>((resolve) => {
      this.watch({}, false).subscribe({ complete: resolve, error: () => resolve() });
    });
    return this.finishedPromise;
  }

  subscribe<T = RunEvent>(options: SubscribeOptions<T> = {}): Observable<T> {
    return this.watch(options, true);
  }

  private watch<T>(options: SubscribeOptions<T>, present: boolean): Observable<T> {
    return new Observable<T>((subscriber) => {
      let closed = false;
      let inner: Subscription | undefined;
      let log: Awaited<ReturnType<RunLogs['acquire']>>;
      this.logs.acquire(this.runId, !this.isEnded).then(
        (acquired) => {
          log = acquired;
          if (closed) return void (log && this.logs.release(this.runId));
          if (!log) {
            inner = new ArchivedRun(this.record).subscribe(options).subscribe(subscriber);
            return;
          }
          if (present) this.signals.subscriberJoined(this.runId);
          inner = subscribeToLog(log, options).subscribe(subscriber);
        },
        (err: unknown) => subscriber.error(err),
      );
      return () => {
        closed = true;
        inner?.unsubscribe();
        if (!log) return;
        this.logs.release(this.runId);
        if (present) void this.left(log.isEnded);
      };
    });
  }

  private async left(ended: boolean): Promise<void> {
    const none = await this.signals.subscriberLeft(this.runId).catch(() => false);
    const onDisconnect = (this.record.request as { onDisconnect?: string } | null)?.onDisconnect;
    if (none && !ended && onDisconnect === 'cancel') await this.signals.stop({ runId: this.runId, reason: 'disconnected' }).catch(() => undefined);
  }
}
