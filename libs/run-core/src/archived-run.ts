import { EMPTY, Observable } from 'rxjs';
import type { RunRecord } from '@riser/persistence';
import { StreamEndCode } from './run-error.js';
import type { RunEvent } from './run-event.js';
import type { SubscribeOptions } from './run-subscription.js';

/** A run a transport can watch: executing here, or finished with its events still kept, or not. */
export interface WatchableRun {
  readonly runId: string;
  readonly threadId: string;
  readonly isEnded: boolean;
  /** seq of the run's last event, once it has ended. */
  readonly lastSeq: number | undefined;
  subscribe<T = RunEvent>(options?: SubscribeOptions<T>): Observable<T>;
}

/**
 * A finished run whose events are no longer kept (retention passed, or the process that ran
 * it is gone). A cursor at its end gets nothing; any other gets one `replay_gap` and the end,
 * and the thread's state stays readable.
 */
export class ArchivedRun implements WatchableRun {
  readonly isEnded = true;

  constructor(private readonly record: RunRecord) {}

  get runId(): string {
    return this.record.runId;
  }

  get threadId(): string {
    return this.record.threadId;
  }

  get lastSeq(): number | undefined {
    return this.record.lastSeq ?? undefined;
  }

  subscribe<T = RunEvent>(options: SubscribeOptions<T> = {}): Observable<T> {
    // Nothing happens any more in a run whose events are gone: a live join gets nothing.
    if (options.afterSeq === 'live') return EMPTY;
    const after = options.afterSeq ?? 0;
    const last = this.record.lastSeq ?? after + 1;
    if (after >= last) return EMPTY;
    const project = options.project ?? ((event: RunEvent, next: (value: T) => void) => next(event as unknown as T));
    const gap: RunEvent = {
      seq: after,
      event: 'error',
      synthetic: true,
      data: { code: StreamEndCode.replayGap, message: 'the events of this run are no longer kept; read the thread for its result' },
    };
    const end: RunEvent = { seq: last, event: 'end', data: { status: this.record.status } };
    return new Observable<T>((subscriber) => {
      for (const event of [gap, end]) project(event, (value) => subscriber.next(value));
      subscriber.complete();
    });
  }
}
