import type { ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type MessageEvent } from '@nestjs/common';
import type { Socket } from 'node:net';
import { Observable, type Subscriber } from 'rxjs';
import type { WatchableRun } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { RiserMetrics, type StreamProtocol } from '../../metrics/riser-metrics.js';
import { tagRequestWithRun } from '../../logging/log-scope.js';
import { socketFlowControl } from './socket-flow-control.js';
import type { SseProtocol } from './sse-protocol.js';
import { sseText } from './sse-text.js';

/** Which protocol a stream speaks, and whether it rejoins a run (for metrics). */
export interface StreamKind {
  protocol: Exclude<StreamProtocol, 'socket' | 'ws'>;
  rejoin?: boolean;
}

/**
 * Everything an SSE route needs around its events, as one operator (measured ~4 µs per
 * event cheaper than three operator chains):
 * - heartbeat while idle (one interval timer, no clock read per event), in the protocol's
 *   own form (never numbered anew, never in the run log);
 * - error framing: a failure after the first frame ends the stream with the protocol's own
 *   frames for it (see SseProtocol) instead of a cut connection;
 * - writing: the frames of an event-loop turn go out as one write on the next turn, as
 *   text Riser formats itself (see writeFrames), not one trip through Nest's stream each.
 *
 * Applied by the route to the Observable it returns, not as a Nest interceptor: Nest 12.5
 * commits an SSE response's 200 one macrotask after subscribing to it, and with an
 * interceptor the handler only runs inside that subscription, so a run refused by the
 * database (thread busy, not found) would already have answered 200. Without one, Nest
 * waits for the handler's promise, and such errors stay plain HTTP errors.
 *
 * It also knows every open stream: at shutdown (src/lifecycle/shutdown.ts), once the runs
 * have drained and every stream has been sent its final frame, streams still open after a
 * moment — clients that stopped reading — are closed, so the server can stop.
 */
@Injectable()
export class SseFraming {
  private readonly logger = new Logger('SseFraming');
  private readonly open = new Set<ServerResponse>();

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly metrics: RiserMetrics,
  ) {}

  async closeStreams(): Promise<void> {
    const pending = [...this.open].map((res) => new Promise<void>((resolve) => res.once('close', resolve)));
    if (!pending.length) return;
    const flushed = Promise.all(pending);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 2000).unref());
    if ((await Promise.race([flushed, timeout])) === 'timeout') {
      this.logger.warn(`closing ${this.open.size} stream(s) whose clients are not reading`);
      for (const res of this.open) res.destroy();
    }
  }

  /**
   * A run's events after `afterSeq` as one protocol's framed SSE stream: fed at the
   * connection's pace, ended with `slow_consumer` past the configured lag caps.
   */
  follow(run: WatchableRun, res: ServerResponse, afterSeq: number | 'live', protocol: SseProtocol, kind: StreamKind): Observable<MessageEvent> {
    tagRequestWithRun(run.runId, run.threadId);
    if (kind.rejoin || (typeof afterSeq === 'number' && afterSeq > 0)) this.metrics.streamRejoins.inc({ protocol: kind.protocol });
    const frames = run.subscribe<MessageEvent>({
      afterSeq,
      project: (event, next) => {
        if (event.synthetic) this.metrics.countEnding(event);
        protocol.project(event, next);
      },
      flow: socketFlowControl(res.socket!),
      maxLagEvents: this.config.sse.maxLagEvents,
      maxLagBytes: this.config.sse.maxBufferedBytes,
    });
    return this.frame(res, frames, protocol, kind.protocol, run.runId);
  }

  frame(res: ServerResponse, source: Observable<MessageEvent>, protocol: SseProtocol, label: StreamKind['protocol'], runId?: string): Observable<MessageEvent> {
    const { heartbeatMs, heartbeatStyle } = this.config.sse;
    const { streamFrames, streamBytes, streamHeartbeats, streamSubscribers } = this.metrics;
    const countBytes = this.metrics.enabled;
    const socket = res.socket!;
    // Open until the response is fully sent (or its connection closes).
    this.open.add(res);
    const done = () => this.open.delete(res);
    res.once('finish', done).once('close', done);
    // Nest pipes its SseStream into the response before it subscribes to the route's
    // Observable: that stream commits the status and headers (and answers errors raised
    // before them). The frames after them Riser writes itself (see writeFrames).
    let nest: NestSseStream | undefined;
    res.once('pipe', (stream: Partial<NestSseStream>) => {
      if (typeof stream.commitHeaders === 'function') nest = stream as NestSseStream;
    });
    return new Observable<MessageEvent>((subscriber) => {
      streamSubscribers.inc({ protocol: label });
      let lastId: string | undefined;
      // Activity is counted, not timed: no clock read per event. A heartbeat goes out when a
      // whole period passed without an event (so after one to two periods of silence).
      let emitted = 0;
      let emittedAtLastBeat = 0;
      const out = nest ? writeFrames(res, nest) : nestFrames(socket, subscriber);
      const emit = (event: MessageEvent) => {
        emitted++;
        out.write(event);
      };
      const heartbeat = setInterval(() => {
        if (emitted === emittedAtLastBeat && lastId !== undefined) {
          emit(protocol.heartbeat(lastId, heartbeatStyle));
          streamHeartbeats.add(label);
        }
        emittedAtLastBeat = emitted;
      }, heartbeatMs);
      const inner = source.subscribe({
        next: (event) => {
          if (event.id !== undefined) lastId = String(event.id);
          emit(event);
          streamFrames.add(label);
          // Measured only when metrics are on: this runs once per frame.
          if (countBytes && typeof event.data === 'string') streamBytes.add(label, Buffer.byteLength(event.data));
        },
        error: (err: unknown) => {
          if (lastId === undefined) return subscriber.error(err);
          this.logger.error({ msg: 'stream failed', run_id: runId, err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
          for (const frame of protocol.failed(lastId)) emit(frame);
          out.flush();
          subscriber.complete();
        },
        complete: () => {
          out.flush();
          subscriber.complete();
        },
      });
      return () => {
        streamSubscribers.dec({ protocol: label });
        clearInterval(heartbeat);
        inner.unsubscribe();
        out.close();
      };
    });
  }
}

/** What Riser uses of Nest's SseStream (@nestjs/core/router/sse-stream). */
interface NestSseStream {
  readonly headersCommitted: boolean;
  commitHeaders(): void;
}

/** Where a stream's frames go: written as a turn's batch, or handed to Nest one by one. */
interface FrameSink {
  write(event: MessageEvent): void;
  /** Sends what is batched now (before the stream ends). */
  flush(): void;
  /** The subscriber left: nothing more is sent. */
  close(): void;
}

/**
 * Frames written by Riser: the frames of one event-loop turn are joined into one string and
 * written once, on the next turn (or once 64 KiB are waiting): one HTTP chunk and one
 * syscall per connection per turn, instead of a chunk header, a chunk and a trip through
 * Nest's object-mode stream, a promise and a tick per frame. The bytes of the event stream
 * are the same; only where HTTP chunks start differs. Nest still commits the headers (its
 * `commitHeaders`, the same status and headers as before, then its blank line).
 */
function writeFrames(res: ServerResponse, nest: NestSseStream): FrameSink {
  let batch = '';
  let scheduled = false;
  let closed = false;
  const flush = () => {
    scheduled = false;
    if (!batch || closed || res.writableEnded || res.destroyed) return void (batch = '');
    if (!nest.headersCommitted) {
      try {
        nest.commitHeaders();
      } catch {
        // Node refused a header value (Nest checks this too): no answer can be given any more.
        batch = '';
        return void res.destroy();
      }
    }
    const text = batch;
    batch = '';
    res.write(text);
  };
  return {
    write(event) {
      if (closed) return;
      batch += sseText(event);
      if (batch.length >= MAX_BATCH_CHARS) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    close() {
      closed = true;
      batch = '';
    },
  };
}

/** Flush a batch early past this many characters (frames of one turn are usually far fewer). */
const MAX_BATCH_CHARS = 64 * 1024;

/**
 * Frames handed to Nest's SSE pipeline one by one (if Nest ever stops piping a stream that
 * Riser can find): the socket is corked on the first frame of a turn and uncorked on the
 * next, so the frames of one turn still leave in one syscall.
 */
function nestFrames(socket: Socket, subscriber: Subscriber<MessageEvent>): FrameSink {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return {
    write(event) {
      if (!corked && !socket.destroyed) {
        corked = true;
        socket.cork();
        setImmediate(uncork);
      }
      subscriber.next(event);
    },
    flush: () => undefined,
    close: () => undefined,
  };
}
