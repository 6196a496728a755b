import { Observable } from 'rxjs';
import type { RunEventLog } from './event-log.js';
import { StreamEndCode } from './run-error.js';
import type { RunEvent } from './run-event.js';

/**
 * How a transport tells the run core it cannot take more right now (its socket buffer is
 * full). With it, a subscriber is fed at its socket's pace while the run goes on untouched.
 */
export interface FlowControl {
  isBlocked(): boolean;
  /** Calls `fn` once when the transport can take more; returns a function that cancels it. */
  onceUnblocked(fn: () => void): () => void;
  /** Bytes the transport holds for the client already (its socket buffer). */
  bufferedBytes?(): number;
}

export interface SubscribeOptions<T = RunEvent> {
  /**
   * Deliver events after this seq (0 = from the start), or `live`: only what the run does
   * from the moment of subscribing (the LangGraph Platform's join without Last-Event-ID).
   */
  afterSeq?: number | 'live';
  /**
   * Turns each event into what the subscriber gets (zero, one or several values), inside the
   * one subscription: a protocol's mapping costs no extra Observable layer per event.
   */
  project?: (event: RunEvent, next: (value: T) => void) => void;
  /** Called when the subscription opens and when it closes (subscriber counting). */
  onOpen?: () => void;
  onClose?: () => void;
  flow?: FlowControl;
  /**
   * A blocked subscriber this many events behind the run is ended with `slow_consumer`. Behind
   * what the run added since the subscription opened: a rejoin replaying what was already
   * stored goes at its reader's pace, however long (it holds nothing but its cursor).
   */
  maxLagEvents?: number;
  /** …or this many bytes behind. */
  maxLagBytes?: number;
}

/**
 * Events handed to a subscriber in one event-loop turn before it yields: a rejoin replaying
 * a long log then goes at the transport's pace (its socket reports backpressure between
 * turns) instead of queueing the whole backlog in one go — Nest drops an SSE client with
 * more than 4 MB of events queued for it.
 */
const PER_TURN = 256;

/**
 * Replays a run's events after a cursor, then follows it live, completing after `end`.
 * A cursor older than the log gets one `replay_gap` error and continues from the oldest
 * event still kept. The subscriber holds nothing but its cursor: what it has not read yet
 * stays in the (bounded) log.
 */
export function subscribeToLog<T = RunEvent>(log: RunEventLog, options: SubscribeOptions<T> = {}): Observable<T> {
  return new Observable<T>((subscriber) => {
    options.onOpen?.();
    let cursor = options.afterSeq === 'live' ? log.readableSeq : Math.max(0, options.afterSeq ?? 0);
    // What the log held when this subscriber came: lag is counted from here (see maxLagEvents).
    const backlogEnd = Math.max(cursor, log.readableSeq);
    const next = (value: T) => subscriber.next(value);
    const deliver = options.project
      ? (event: RunEvent) => options.project!(event, next)
      : (event: RunEvent) => subscriber.next(event as unknown as T);
    let pumping = false;
    let again = false;
    let yielded: NodeJS.Immediate | undefined;
    let sentThisTurn = 0;
    let cancelWait: (() => void) | undefined;
    const flow = options.flow;

    const synthetic = (code: string, message: string): RunEvent => ({
      seq: cursor,
      event: 'error',
      data: { code, message },
      synthetic: true,
    });

    const isTooFarBehind = (): boolean => {
      const from = Math.max(cursor, backlogEnd);
      return (
        (options.maxLagEvents !== undefined && log.lastSeq - from > options.maxLagEvents) ||
        (options.maxLagBytes !== undefined && log.bytesAfter(from) + (flow?.bufferedBytes?.() ?? 0) > options.maxLagBytes)
      );
    };

    const pump = (): void => {
      if (yielded) return; // resumes on the next turn
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          drain();
        } while (again && !subscriber.closed);
      } finally {
        pumping = false;
      }
    };

    const drain = (): void => {
      while (!subscriber.closed) {
        if (flow?.isBlocked()) {
          if (isTooFarBehind()) {
            deliver(synthetic(StreamEndCode.slowConsumer, 'the client fell too far behind the run; rejoin from the last event id'));
            subscriber.complete();
            return;
          }
          cancelWait ??= flow.onceUnblocked(() => {
            cancelWait = undefined;
            pump();
          });
          return;
        }
        if (cursor + 1 < log.firstSeq) {
          deliver(synthetic(StreamEndCode.replayGap, 'events after the given id are no longer kept'));
          cursor = log.firstSeq - 1;
          continue;
        }
        const last = log.readableSeq;
        if (cursor >= last) {
          // A cursor at (or past) the end of a finished run has nothing more to get.
          if (log.isEnded && cursor >= log.lastSeq) subscriber.complete();
          else if (log.stopReason) {
            deliver(synthetic(log.stopReason.code, log.stopReason.message));
            subscriber.complete();
          }
          sentThisTurn = 0;
          return;
        }
        if (sentThisTurn >= PER_TURN) {
          yielded = setImmediate(() => {
            yielded = undefined;
            sentThisTurn = 0;
            pump();
          });
          return;
        }
        // Straight from the log by index: nothing is allocated per event here.
        while (cursor < last && sentThisTurn < PER_TURN) {
          const event = log.at(cursor + 1)!;
          cursor = event.seq;
          sentThisTurn++;
          deliver(event);
          if (event.event === 'end') {
            subscriber.complete();
            return;
          }
          if (subscriber.closed || flow?.isBlocked()) break;
        }
      }
    };

    const stopListening = log.onReadable(pump);
    pump();
    return () => {
      stopListening();
      cancelWait?.();
      if (yielded) clearImmediate(yielded);
      options.onClose?.();
    };
  });
}
