import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket as NetSocket } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WebSocketServer } from 'ws';
import { AuthError, type Principal } from '@riser/auth';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { RiserMetrics } from '../../metrics/riser-metrics.js';
import { ChatWsAuth, SUBPROTOCOL } from './chat-ws.auth.js';
import { ChatWsCommands } from './chat-ws.commands.js';
import { ChatWsConnection, CloseCode } from './chat-ws.connection.js';

export const CHAT_WS_PATH = '/chat/ws';
/** Socket.IO's path: engine.io answers its upgrades (RiserIoAdapter). */
const SOCKET_IO_PREFIX = '/socket.io/';

/**
 * The seed's plain WebSocket (RFC 6455, the `ws` library) at `GET /chat/ws`, on the app's
 * own port beside Socket.IO, for clients without a Socket.IO library. It answers every
 * upgrade request that is not Socket.IO's: `/chat/ws` is authenticated before the handshake
 * completes (401 otherwise, never a half-open socket), any other path gets 404 (engine.io,
 * which would otherwise end such sockets after a second without an answer, is told to leave
 * them to this: `destroyUpgrade: false`), and during shutdown 503.
 *
 * Upgrades never reach Fastify: the plain `GET /chat/ws` route (ChatWsController) only
 * answers clients that did not ask to upgrade.
 */
@Injectable()
export class ChatWsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatWs');
  private readonly connections = new Set<ChatWsConnection>();
  private readonly wss: WebSocketServer;
  private server?: Server;
  private accepting = true;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket as NetSocket, head);

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: ChatWsAuth,
    private readonly commands: ChatWsCommands,
    private readonly metrics: RiserMetrics,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // A frame too big to read is closed with 1009 by ws itself.
      maxPayload: config.http.bodyLimitBytes,
      // Never compressed, as SSE streams are not: tokens are small and latency matters.
      perMessageDeflate: false,
      // A browser offering `riser, bearer.<jwt>` gets `riser`: the token is never echoed.
      handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
  }

  onApplicationShutdown(): void {
    this.server?.off('upgrade', this.onUpgrade);
    for (const connection of this.connections) connection.terminate();
    this.wss.close();
  }

  /**
   * Shutdown: no new connection; each run a connection follows gets its final frame first
   * (its end, or `rejoin` with replicas), sent at the connection's pace, for a moment at
   * most; then every connection is closed (1001, going away) and, a moment later, those
   * whose peers did not answer the close are cut.
   */
  async closeConnections(): Promise<void> {
    this.accepting = false;
    const busy = () => [...this.connections].some((c) => !c.isIdle);
    for (const deadline = Date.now() + 2000; busy() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    const closed = Promise.all([...this.connections].map((c) => c.closed));
    for (const connection of this.connections) connection.close(CloseCode.goingAway, 'server shutting down');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1000).unref());
    if ((await Promise.race([closed, timeout])) === 'timeout') {
      this.logger.warn(`cutting ${this.connections.size} websocket(s) that did not answer the close`);
      for (const connection of this.connections) connection.terminate();
    }
  }

  private async upgrade(req: IncomingMessage, socket: NetSocket, head: Buffer): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path.startsWith(SOCKET_IO_PREFIX)) return;
    // Until the handshake is done, a client that goes away must not crash anything.
    const ignore = () => undefined;
    socket.on('error', ignore);
    if (path !== CHAT_WS_PATH) return refuse(socket, 404, { error: 'not_found', message: `no WebSocket endpoint at ${path}` });
    if (!this.accepting) return refuse(socket, 503, { error: 'shutting_down', message: 'the server is shutting down; reconnect to another replica' });
    let principal: Principal;
    try {
      principal = await this.auth.authenticate(req);
    } catch (err) {
      return refuse(socket, 401, { error: 'unauthorized', message: err instanceof AuthError ? err.message : 'missing or invalid credentials' });
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', ignore);
      const connection = new ChatWsConnection(ws, socket, principal, this.commands, this.config, this.metrics);
      this.connections.add(connection);
      void connection.closed.then(() => this.connections.delete(connection));
    });
  }
}

/** An upgrade refused with a plain HTTP answer (JSON, as every error of Riser's), then closed. */
function refuse(socket: NetSocket, status: number, body: { error: string; message: string }): void {
  if (!socket.writable) return void socket.destroy();
  const json = JSON.stringify(body);
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  // Closed once sent: the client has read all it will get (a client keeping its half open holds nothing here).
  socket.end(`${headers.join('\r\n')}\r\n\r\n${json}`, () => socket.destroy());
}
