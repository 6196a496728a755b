import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import helmet from 'helmet';
import type { Server, ServerOptions } from 'socket.io';
import type { RedisConnection } from '@riser/bus';
import type { RiserConfig } from '../config/riser-config.js';
import { HELMET_OPTIONS } from '../http/security-headers.js';

/**
 * Socket.IO on the app's own HTTP server and port (default path `/socket.io`), with the
 * same CORS allowlist and security headers as HTTP (its polling transport answers HTTP
 * requests Fastify never sees). With replicas, rooms span them through Socket.IO's Redis
 * Streams adapter: unlike the pub/sub adapter it resumes after a Redis reconnect without
 * losing packets, and it supports connection state recovery (a client that reconnects within
 * two minutes gets the events it missed; pending approvals are read from Postgres anyway).
 */
export class RiserIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: RiserConfig,
    private readonly redis?: RedisConnection,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions) {
    const origins = this.config.http.corsOrigins;
    const server: Server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      serveClient: false,
      cors: { origin: origins === '*' ? true : origins, credentials: origins !== '*' },
      // A decision or message is small: refuse anything that is not.
      maxHttpBufferSize: this.config.http.bodyLimitBytes,
      // Upgrades to other paths are ChatWsServer's to answer (/chat/ws, else 404), not
      // engine.io's to end after a second of silence.
      destroyUpgrade: false,
      ...(this.redis && {
        adapter: createAdapter(this.redis.adapter, {
          streamName: `${this.redis.options.prefix}socket.io`,
          sessionKeyPrefix: `${this.redis.options.prefix}socket.io:session:`,
        }),
        connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
      }),
    } as ServerOptions);
    server.engine.use(helmet(HELMET_OPTIONS));
    return server;
  }
}
