import { Logger } from '@nestjs/common';
import { finalize, type Subscription } from 'rxjs';
import type { Socket } from 'socket.io';
import type { WatchableRun } from '@riser/run-core';
import type { SseOptions } from '../config/riser-config.js';
import type { RiserMetrics } from '../metrics/riser-metrics.js';
import { socketIoFlowControl } from './socket-flow-control.js';
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

/** The runs one socket is fed, and the threads whose next runs it follows. */
export class SocketSubscriptions {
  private readonly runs = new Map<string, { threadId: string; subscription: Subscription }>();
  private readonly threads: Set<string>;

  constructor(
    private readonly socket: Socket,
    /** Kept up to date as messages go out (see FollowState). */
    readonly state: FollowState,
    private readonly limits: Pick<SseOptions, 'maxLagEvents' | 'maxBufferedBytes'>,
    private readonly metrics: RiserMetrics,
    /** False once the socket may no longer be sent anything (its token expired). */
    private readonly maySend: () => boolean = () => true,
  ) {
    this.threads = new Set(state.threads);
  }

  /** Sends the run's events after `afterSeq` as `message` events, then live, until it ends. */
  followRun(run: WatchableRun, afterSeq = 0): void {
    if (this.runs.has(run.runId)) return;
    const entry = { threadId: run.threadId, subscription: undefined as unknown as Subscription };
    this.runs.set(run.runId, entry);
    const { streamFrames, streamSubscribers } = this.metrics;
    if (afterSeq > 0) this.metrics.streamRejoins.inc({ protocol: 'socket' });
    streamSubscribers.inc({ protocol: 'socket' });
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
          if (payload) next(payload);
        },
        flow: socketIoFlowControl(this.socket),
        maxLagEvents: this.limits.maxLagEvents,
        maxLagBytes: this.limits.maxBufferedBytes,
      })
      .pipe(finalize(() => streamSubscribers.dec({ protocol: 'socket' })))
      .subscribe({
        next: (payload) => {
          if (!this.maySend()) return;
          this.socket.emit('message', payload);
          streamFrames.add('socket');
          if (typeof payload.seq === 'number' && !(payload.error === 'rejoin')) followed.seq = payload.seq;
        },
        complete: done,
        error: (err: unknown) => {
          done();
          logger.error({ msg: 'socket stream failed', run_id: run.runId, thread_id: run.threadId, socket_id: this.socket.id, err: err instanceof Error ? err.message : String(err) });
        },
      });
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
