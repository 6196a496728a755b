import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import helmet from 'helmet';
import type { Server, ServerOptions } from 'socket.io';
import type { RiserConfig } from '../config/riser-config.js';
import { HELMET_OPTIONS } from '../http/security-headers.js';

/**
 * Socket.IO on the app's own HTTP server and port (default path `/socket.io`), with the
 * same CORS allowlist and security headers as HTTP (its polling transport answers HTTP
 * requests Fastify never sees).
 */
export class RiserIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: RiserConfig,
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
    } as ServerOptions);
    server.engine.use(helmet(HELMET_OPTIONS));
    return server;
  }
}
