import { Inject, Logger, UseFilters, UseGuards, type OnApplicationShutdown } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { randomUUID } from 'node:crypto';
import { Subscription } from 'rxjs';
import type { Namespace, Socket } from 'socket.io';
import { AuthError, TokenVerifier, type Principal } from '@riser/auth';
import { ApprovalService, RunCoreEvents, RunService, ThreadService, type ThreadAudience } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../config/riser-config.js';
import { assertMessageSize } from '../validation/message-size.js';
import { ZodPipe } from '../validation/zod.pipe.js';
import { RateLimited } from '../rate-limit/rate-limit.guard.js';
import { SocketPrincipal, SocketPrincipalGuard } from './socket-principal.guard.js';
import { approverRoom, isExpired, SocketSession, userRoom } from './socket-session.js';
import { socketIoSink } from './socket-flow-control.js';
import { SocketSubscriptions, type FollowState } from './socket-subscriptions.js';
import { SocketTelemetry } from './socket-telemetry.js';
import { handshakeAuth } from './ws-auth.js';
import { WsExceptionFilter } from './ws-errors.js';
import { wsApproveSchema, wsAuthSchema, wsCancelSchema, wsChatSchema, wsSubscribeSchema, wsUnsubscribeSchema } from './ws.schemas.js';
import type { z } from 'zod';

interface SocketData {
  principal: Principal;
  /** Plain, so connection state recovery keeps it. */
  follows?: FollowState;
  subs: SocketSubscriptions;
  session: SocketSession;
}

/**
 * Namespace `/chat`: chat, subscribe, approve and cancel, each answered by an ack
 * (`{ok: true, …}` or `{ok: false, error: {code, message}}`). Connections are authenticated
 * in the handshake (guards do not run on connect), every event by SocketPrincipalGuard.
 * At the token's `exp` the socket is sent one `auth.expired` and disconnected, unless an
 * `auth` event brought a fresh token first. Approval requests go to the thread's owner and
 * the tenant's approvers.
 */
@WebSocketGateway({ namespace: '/chat' })
@UseFilters(WsExceptionFilter)
@UseGuards(SocketPrincipalGuard)
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationShutdown {
  private readonly logger = new Logger('ChatGateway');
  private readonly followers = new Map<string, Set<SocketSubscriptions>>();
  private readonly subscriptions = new Subscription();
  @WebSocketServer() private server!: Namespace;

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly verifier: TokenVerifier,
    private readonly runs: RunService,
    private readonly threads: ThreadService,
    private readonly approvals: ApprovalService,
    private readonly events: RunCoreEvents,
    private readonly telemetry: SocketTelemetry,
  ) {}

  afterInit(namespace: Namespace): void {
    namespace.use(handshakeAuth(this.verifier, (socket, message) => this.telemetry.refused(socket, message)));
    const audience = (e: ThreadAudience) => [userRoom(e.tenant, e.ownerSub), approverRoom(e.tenant)];
    this.subscriptions.add(
      this.events.approvalRequested$.subscribe(({ tenant, ownerSub, ...payload }) =>
        this.server.to(audience({ tenant, ownerSub })).emit('approval.requested', payload),
      ),
    );
    this.subscriptions.add(
      this.events.approvalDecided$.subscribe(({ tenant, ownerSub, ...payload }) =>
        this.server.to(audience({ tenant, ownerSub })).emit('approval.decided', payload),
      ),
    );
    this.subscriptions.add(this.runs.admitted$.subscribe((run) => void this.onRunAdmitted(run)));
  }

  handleConnection(socket: Socket): void {
    const data = socket.data as SocketData;
    // Counted before the session is armed: a token expiring at once still disconnects a counted socket.
    this.telemetry.connected(socket, data.principal);
    socket.once('disconnect', (reason) => this.telemetry.disconnected(socket, data.principal, reason));
    // socket.data is what connection state recovery keeps (serialised into Redis by the
    // replicas' adapter): the principal belongs there, these live objects do not, so they are
    // kept out of its enumerable keys (a function in it crashed the adapter's encoder).
    // A recovered socket (its client reconnected within the recovery window, maybe to another
    // replica) follows on from what it was sent; any other starts with nothing.
    const follows: FollowState = socket.recovered && data.follows ? data.follows : { runs: {}, threads: [] };
    data.follows = follows;
    Object.defineProperties(data, {
      // Nothing more is sent once the token has expired, even before the timer has fired.
      subs: { value: new SocketSubscriptions(socketIoSink(socket), follows, this.config.sse, this.telemetry.metrics, () => !isExpired(data.principal)), enumerable: false, configurable: true },
      session: { value: new SocketSession(socket, this.config.runCore.approverRole, () => this.expire(socket)), enumerable: false, configurable: true },
    });
    data.session.assume(data.principal);
    if (socket.recovered) void this.followOn(socket, follows);
  }

  /** After a recovered reconnect: the threads it followed, and each run from the last seq it was sent. */
  private async followOn(socket: Socket, follows: FollowState): Promise<void> {
    const subs = (socket.data as SocketData).subs;
    for (const threadId of follows.threads) this.follow(socket, threadId);
    for (const [runId, { seq }] of Object.entries(follows.runs)) {
      delete follows.runs[runId];
      const run = await this.runs.byId(runId).catch(() => undefined);
      if (run) subs.followRun(run, seq);
    }
  }

  handleDisconnect(socket: Socket): void {
    this.release(socket);
  }

  onApplicationShutdown(): void {
    this.subscriptions.unsubscribe();
  }

  /**
   * Shutdown: the sockets of this replica are closed (their clients reconnect to another
   * one); `local` so that, with the Redis adapter, other replicas' sockets stay.
   */
  async closeSockets(): Promise<void> {
    const namespace = this.server;
    if (!namespace) return;
    // Each run a socket follows gets its final message first (its end, or `rejoin`), sent at
    // the socket's pace: wait for those, a moment at most, then close.
    const busy = () => [...namespace.sockets.values()].some((s) => (s.data as Partial<SocketData>).subs?.isIdle === false);
    for (const deadline = Date.now() + 2000; busy() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    // With connection state recovery, an emit goes through the adapter (a round trip to Redis
    // for its offset) before it is written to the socket: let the last ones out.
    if (namespace.sockets.size && this.config.redis) await new Promise((r) => setTimeout(r, 250));
    namespace.local.disconnectSockets(true);
  }

  /**
   * A new token for a long-lived socket, before the old one expires: its expiry and its
   * roles replace the old token's (fewer roles, fewer rooms).
   */
  @SubscribeMessage('auth')
  async auth(
    @ConnectedSocket() socket: Socket,
    @SocketPrincipal() current: Principal,
    @MessageBody(new ZodPipe(wsAuthSchema)) body: z.infer<typeof wsAuthSchema>,
  ) {
    const principal = await this.verifier.verify(body.token);
    if (isExpired(principal)) throw new AuthError('token expired');
    if (principal.sub !== current.sub || principal.tenant !== current.tenant) {
      throw new AuthError('a socket cannot change who it is; reconnect instead');
    }
    (socket.data as SocketData).session.assume(principal);
    return { ok: true, expires_at: principal.expiresAt };
  }

  @SubscribeMessage('chat')
  @RateLimited()
  async chat(
    @ConnectedSocket() socket: Socket,
    @SocketPrincipal() principal: Principal,
    @MessageBody(new ZodPipe(wsChatSchema)) body: z.infer<typeof wsChatSchema>,
  ) {
    assertMessageSize(body.message, this.config.http.maxMessageBytes);
    const run = await this.runs.start(principal, {
      threadId: body.thread_id,
      assistantId: body.assistant_id,
      input: { messages: [{ role: 'user', content: body.message, id: randomUUID() }] },
      messages: 'text',
      protocol: 'socket',
      multitaskStrategy: body.multitask_strategy,
    });
    // The ack goes first; the run's events are replayed from its start, so none is lost.
    this.follow(socket, run.threadId);
    setImmediate(() => (socket.data as SocketData).subs.followRun(run));
    return { ok: true, thread_id: run.threadId, run_id: run.runId };
  }

  /** Receive a run's events (after `after_seq`), or with no run_id the thread's current and next runs. */
  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() socket: Socket,
    @SocketPrincipal() principal: Principal,
    @MessageBody(new ZodPipe(wsSubscribeSchema)) body: z.infer<typeof wsSubscribeSchema>,
  ) {
    const subs = (socket.data as SocketData).subs;
    if (body.run_id) {
      const run = await this.runs.locate(principal, body.thread_id, body.run_id);
      setImmediate(() => subs.followRun(run, body.after_seq ?? 0));
      return { ok: true, thread_id: body.thread_id, run_id: run.runId };
    }
    await this.threads.readable(principal, body.thread_id);
    this.follow(socket, body.thread_id);
    const current = await this.runs.locate(principal, body.thread_id).catch(() => undefined);
    if (current) setImmediate(() => subs.followRun(current, body.after_seq ?? 0));
    return { ok: true, thread_id: body.thread_id, run_id: current?.runId ?? null };
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody(new ZodPipe(wsUnsubscribeSchema)) body: z.infer<typeof wsUnsubscribeSchema>) {
    const subs = (socket.data as SocketData).subs;
    this.unfollow(subs, body.thread_id);
    subs.unfollowThread(body.thread_id);
    return { ok: true };
  }

  @SubscribeMessage('approve')
  @RateLimited()
  async approve(
    @ConnectedSocket() socket: Socket,
    @SocketPrincipal() principal: Principal,
    @MessageBody(new ZodPipe(wsApproveSchema)) body: z.infer<typeof wsApproveSchema>,
  ) {
    const { thread_id, interrupt_id, ...decision } = body;
    const run = await this.approvals.decide(principal, thread_id, interrupt_id, decision);
    // The deciding socket sees what its decision does, unless it follows the thread already.
    const subs = (socket.data as SocketData).subs;
    if (!subs.followsThread(thread_id)) setImmediate(() => subs.followRun(run));
    return { ok: true, thread_id, run_id: run.runId };
  }

  @SubscribeMessage('cancel')
  async cancel(@SocketPrincipal() principal: Principal, @MessageBody(new ZodPipe(wsCancelSchema)) body: z.infer<typeof wsCancelSchema>) {
    const run = await this.runs.cancel(principal, body.thread_id, body.run_id);
    return { ok: true, thread_id: run.threadId, run_id: run.runId, status: 'cancelled' };
  }

  /**
   * The token has expired: stop every feed (runs and rooms), say so once, disconnect. The
   * client sees `io server disconnect` and does not reconnect on its own with the old token.
   */
  private expire(socket: Socket): void {
    const { principal } = socket.data as SocketData;
    this.release(socket);
    socket.emit('auth.expired', { code: 'token_expired', message: 'the token expired: reconnect with a fresh one', expired_at: principal.expiresAt });
    socket.disconnect();
  }

  /** Leaves its rooms, its runs and the threads it followed (again at disconnect: harmless). */
  private release(socket: Socket): void {
    const { subs, session } = socket.data as Partial<SocketData>;
    session?.end();
    if (!subs) return;
    for (const threadId of subs.followedThreads) this.unfollow(subs, threadId);
    subs.close();
  }

  private follow(socket: Socket, threadId: string): void {
    const subs = (socket.data as SocketData).subs;
    subs.followThread(threadId);
    let set = this.followers.get(threadId);
    if (!set) this.followers.set(threadId, (set = new Set()));
    set.add(subs);
  }

  /** Empty sets go: the map holds the threads someone follows now, not every one ever followed. */
  private unfollow(subs: SocketSubscriptions, threadId: string): void {
    const set = this.followers.get(threadId);
    if (!set) return;
    set.delete(subs);
    if (!set.size) this.followers.delete(threadId);
  }

  /** Thread followers get every new run on the thread, from its first event, whichever replica admitted it. */
  private async onRunAdmitted({ runId, threadId }: { runId: string; threadId: string }): Promise<void> {
    const set = this.followers.get(threadId);
    if (!set?.size) return;
    const run = await this.runs.byId(runId).catch(() => undefined);
    if (!run) return;
    for (const subs of set) subs.followRun(run);
    this.logger.debug({ msg: 'run fanned out to thread followers', run_id: runId, followers: set.size });
  }
}
