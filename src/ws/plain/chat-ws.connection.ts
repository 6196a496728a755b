import { randomUUID } from 'node:crypto';
import type { Socket as NetSocket } from 'node:net';
import { Logger } from '@nestjs/common';
import { WebSocket, type RawData } from 'ws';
import type { Principal } from '@riser/auth';
import type { RunEvent, RunHandle } from '@riser/run-core';
import type { RiserConfig } from '../../config/riser-config.js';
import { socketFlowControl } from '../../http/sse/socket-flow-control.js';
import { logScope } from '../../logging/log-scope.js';
import type { RiserMetrics } from '../../metrics/riser-metrics.js';
import { socketMessage } from '../socket-protocol.js';
import { SocketSubscriptions } from '../socket-subscriptions.js';
import { ExpiryTimer, isExpired } from '../token-expiry.js';
import { toWsError } from '../ws-errors.js';
import type { ChatWsCommands, ChatWsReply } from './chat-ws.commands.js';
import { parseFrame, readCommand, type Ref } from './chat-ws.messages.js';

/** Close codes: 4401 is the 4000–4999 private range's "unauthorized" (4000 + HTTP 401). */
export const CloseCode = { goingAway: 1001, tooBig: 1009, tryAgainLater: 1013, tokenExpired: 4401 } as const;

const logger = new Logger('ChatWs');

/**
 * One `/chat/ws` connection: its client's messages handled one after another (a message is
 * answered before the next is read), the runs it follows sent as they go — several at once,
 * on any threads, each at the connection's pace — a ping every SSE_HEARTBEAT_MS and a close
 * when the peer stops answering them, and a close (4401) at the token's `exp`.
 */
export class ChatWsConnection implements ChatWsReply {
  readonly id = randomUUID();
  readonly closed: Promise<void>;
  private readonly subs: SocketSubscriptions;
  private readonly expiry = new ExpiryTimer(() => this.close(CloseCode.tokenExpired, 'token expired'));
  private readonly pings: NodeJS.Timeout;
  private ponged = true;
  private waiting = 0;
  private queue: Promise<void> = Promise.resolve();
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: NetSocket,
    private readonly principal: Principal,
    private readonly commands: ChatWsCommands,
    private readonly config: RiserConfig,
    private readonly metrics: RiserMetrics,
  ) {
    this.subs = new SocketSubscriptions(
      { id: this.id, protocol: 'ws', flow: socketFlowControl(socket, () => this.corked), send: (payload) => this.sendRunFrame(payload) },
      { runs: {}, threads: [] },
      config.sse,
      metrics,
      // Nothing more is sent once the token has expired, even before the timer has fired.
      () => ws.readyState === WebSocket.OPEN && !isExpired(principal),
    );
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.once('close', (code, reason) => this.release(code, reason.toString()));
    // Errors (a frame over BODY_LIMIT_BYTES: 1009, invalid UTF-8: 1007) close the connection; ws says so.
    ws.on('error', (err) => logger.debug({ msg: 'websocket error', ws_id: this.id, err: err.message }));
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('pong', () => (this.ponged = true));
    this.pings = setInterval(() => this.ping(), config.sse.heartbeatMs);
    this.expiry.arm(principal);
    logger.log({ msg: 'websocket connected', ws_id: this.id, sub: principal.sub, tenant: principal.tenant, ip: socket.remoteAddress });
  }

  /** No run is being sent (each got its end, or its final `rejoin` at shutdown). */
  get isIdle(): boolean {
    return this.subs.isIdle;
  }

  close(code: number, reason: string): void {
    this.subs.close();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  stream(run: RunHandle, ref?: Ref): void {
    // The run's first frame is known now: sent at once, so the answers to a client's
    // messages leave in the order the messages came; the rest follow from the run's log.
    const first: RunEvent = { seq: 1, event: 'metadata', data: { run_id: run.runId, thread_id: run.threadId, assistant_id: run.record.assistantId, attempt: 1 } };
    this.sendRunFrame(withRef(socketMessage(first, run.runId)!, ref));
    this.metrics.streamFrames.add('ws');
    this.subs.followRun(run, 1, ref);
  }

  rejoin(run: RunHandle, afterSeq: number, ref?: Ref): void {
    if (run.isEnded && run.lastSeq !== undefined && afterSeq >= run.lastSeq) {
      // Nothing after the cursor: the run's end again (SSE answers 204 here).
      this.answer(socketMessage({ seq: run.lastSeq, event: 'end', data: { status: run.record.status } }, run.runId)!, ref);
      return;
    }
    if (!this.subs.followRun(run, afterSeq, ref)) {
      this.answer({ error: 'already_subscribed', message: `run ${run.runId} is being sent on this connection already`, run_id: run.runId }, ref);
    }
  }

  answer(payload: Record<string, unknown>, ref?: Ref): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.write(JSON.stringify(withRef(payload, ref)));
  }

  /**
   * Each message waits for the one before (they are answered in order); past
   * WS_MAX_WAITING_MESSAGES waiting, Riser reads no more from the connection: a client sending
   * faster than its messages are handled is slowed down by TCP instead of queueing here.
   */
  private receive(data: RawData, isBinary: boolean): void {
    if (++this.waiting >= this.config.http.wsMaxWaitingMessages) this.ws.pause();
    const scope = { reqId: randomUUID(), tenant: this.principal.tenant };
    this.queue = this.queue
      .then(() => logScope.run(scope, () => this.handle(data, isBinary)))
      .finally(() => {
        if (--this.waiting < this.config.http.wsMaxWaitingMessages && this.ws.isPaused) this.ws.resume();
      });
  }

  private async handle(data: RawData, isBinary: boolean): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (isExpired(this.principal)) return this.close(CloseCode.tokenExpired, 'token expired');
    let ref: Ref | undefined;
    try {
      const frame = parseFrame(data, isBinary);
      ref = frame.ref;
      await this.commands.execute(this.principal, readCommand(frame.value, this.config.http.maxMessageBytes), this, ref);
    } catch (err) {
      const { code, ...details } = toWsError(err, 'invalid_request');
      if (code === 'internal') logger.error({ msg: 'websocket message failed', ws_id: this.id, err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
      this.answer({ error: code, ...details }, ref);
    }
  }

  private sendRunFrame(payload: Record<string, unknown>): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(payload);
    this.write(text);
    if (this.metrics.enabled) this.metrics.streamBytes.add('ws', Buffer.byteLength(text));
    // Its client stopped reading: the frame says where to rejoin from, and the connection
    // ends (1013: try again later). The runs go on.
    if (payload.error === 'slow_consumer') this.close(CloseCode.tryAgainLater, 'slow consumer: rejoin from the last seq');
  }

  /**
   * Frames of one event-loop turn leave in one write, as on SSE: the socket is corked on the
   * turn's first frame and uncorked on the next turn (ws corks each frame's header and body
   * itself; the counts nest).
   */
  private write(text: string): void {
    if (!this.corked && !this.socket.destroyed) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.ws.send(text);
  }

  /** RFC 6455 keep-alive: a peer that did not answer the last ping within a period is gone. */
  private ping(): void {
    if (!this.ponged) {
      logger.log({ msg: 'websocket peer stopped answering pings', ws_id: this.id });
      this.ws.terminate();
      return;
    }
    this.ponged = false;
    this.ws.ping();
    this.metrics.streamHeartbeats.add('ws');
  }

  private release(code: number, reason: string): void {
    clearInterval(this.pings);
    this.expiry.clear();
    this.subs.close();
    logger.log({ msg: 'websocket disconnected', ws_id: this.id, sub: this.principal.sub, tenant: this.principal.tenant, code, reason });
  }
}

function withRef(payload: Record<string, unknown>, ref: Ref | undefined): Record<string, unknown> {
  return ref === undefined ? payload : { ...payload, ref };
}
