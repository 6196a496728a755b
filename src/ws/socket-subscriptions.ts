import { Logger } from '@nestjs/common';
import { finalize, type Subscription } from 'rxjs';
import type { FlowControl, WatchableRun } from '@riser/run-core';
import type { SseOptions } from '../config/riser-config.js';
import type { RiserMetrics } from '../metrics/riser-metrics.js';
import { socketMessage } from './socket-protocol.js';

const logger = new Logger('SocketSubscriptions');

/**
 * What a socket follows, as plain data: kept in `socket.data`, so connection state recovery
 * carries it to whichever replica the client reconnects to, which follows on from there.
 */
export interface FollowState {
  /** Runs being sent, by id: their thread and the seq of the last message sent. */
  runs: Record<string, { threadId: string; seq: number }>;
  threads: string[];
}

/**
 * Where one socket's run messages go: a Socket.IO socket (`message` events) or a plain
 * WebSocket at `/chat/ws` (JSON text frames). Both carry the same payloads (socketMessage).
 */
export interface MessageSink {
  /** Names the connection in logs. */
  readonly id: string;
  /** The label of the `riser_stream_*` metrics. */
  readonly protocol: 'socket' | 'ws';
  /** Tells the run core when the connection cannot take more (its socket buffer is full). */
  readonly flow: FlowControl;
  send(payload: Record<string, unknown>): void;
}

/** The runs one socket is fed, and the threads whose next runs it follows. */
export class SocketSubscriptions {
  private readonly runs = new Map<string, { threadId: string; subscription: Subscription }>();
  private readonly threads: Set<string>;

  constructor(
    private readonly sink: MessageSink,
    /** Kept up to date as messages go out (see FollowState). */
    readonly state: FollowState,
    private readonly limits: Pick<SseOptions, 'maxLagEvents' | 'maxBufferedBytes'>,
    private readonly metrics: RiserMetrics,
    /** False once the socket may no longer be sent anything (its token expired). */
    private readonly maySend: () => boolean = () => true,
  ) {
    this.threads = new Set(state.threads);
  }

  /**
   * Sends the run's events after `afterSeq` as messages, then live, until it ends; each
   * carries `ref` when given (the plain WebSocket's echo of the client's message id).
   * False when the run is being sent already.
   */
  followRun(run: WatchableRun, afterSeq = 0, ref?: unknown): boolean {
    if (this.runs.has(run.runId)) return false;
    const entry = { threadId: run.threadId, subscription: undefined as unknown as Subscription };
    this.runs.set(run.runId, entry);
    const { streamFrames, streamSubscribers } = this.metrics;
    const label = this.sink.protocol;
    if (afterSeq > 0) this.metrics.streamRejoins.inc({ protocol: label });
    streamSubscribers.inc({ protocol: label });
    const followed = (this.state.runs[run.runId] = { threadId: run.threadId, seq: afterSeq });
    const done = () => {
      this.runs.delete(run.runId);
      delete this.state.runs[run.runId];
    };
    entry.subscription = run
      .subscribe<Record<string, unknown>>({
        afterSeq,
        project: (event, next) => {
          if (event.synthetic) this.metrics.countEnding(event);
          const payload = socketMessage(event, run.runId);
          if (payload) next(ref === undefined ? payload : { ...payload, ref });
        },
        flow: this.sink.flow,
        maxLagEvents: this.limits.maxLagEvents,
        maxLagBytes: this.limits.maxBufferedBytes,
      })
      .pipe(finalize(() => streamSubscribers.dec({ protocol: label })))
      .subscribe({
        next: (payload) => {
          if (!this.maySend()) return;
          this.sink.send(payload);
          streamFrames.add(label);
          if (typeof payload.seq === 'number' && !(payload.error === 'rejoin')) followed.seq = payload.seq;
        },
        complete: done,
        error: (err: unknown) => {
          done();
          logger.error({ msg: 'socket stream failed', run_id: run.runId, thread_id: run.threadId, socket_id: this.sink.id, err: err instanceof Error ? err.message : String(err) });
        },
      });
    return true;
  }

  followThread(threadId: string): void {
    this.threads.add(threadId);
    this.state.threads = [...this.threads];
  }

  followsThread(threadId: string): boolean {
    return this.threads.has(threadId);
  }

  unfollowThread(threadId: string): void {
    this.threads.delete(threadId);
    this.state.threads = [...this.threads];
    for (const [runId, entry] of this.runs) {
      if (entry.threadId === threadId) {
        entry.subscription.unsubscribe();
        this.runs.delete(runId);
        delete this.state.runs[runId];
      }
    }
  }

  /** No run is being sent to this socket (each got its end, or its final `rejoin`). */
  get isIdle(): boolean {
    return this.runs.size === 0;
  }

  get followedThreads(): ReadonlySet<string> {
    return this.threads;
  }

  close(): void {
    for (const { subscription } of this.runs.values()) subscription.unsubscribe();
    this.runs.clear();
    this.threads.clear();
  }
}
