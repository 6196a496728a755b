import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { Principal } from '@riser/auth';
import { refusalReason } from '../metrics/auth-refusal.js';
import { RiserMetrics } from '../metrics/riser-metrics.js';
import { logScope } from '../logging/log-scope.js';

/**
 * What ops see of sockets: connections counted and logged as they open and close, refused
 * handshakes counted by reason and logged. Never the token: only who (sub, tenant), the
 * socket id and the peer address.
 */
@Injectable()
export class SocketTelemetry {
  private readonly logger = new Logger('ChatGateway');

  constructor(readonly metrics: RiserMetrics) {}

  connected(socket: Socket, principal: Principal): void {
    // Each event the socket sends is handled (and starts its runs) in a log scope of its own.
    socket.use((_packet, next) => logScope.run({ reqId: randomUUID(), tenant: principal.tenant }, next));
    this.metrics.socketConnections.inc();
    this.logger.log({ msg: 'socket connected', socket_id: socket.id, sub: principal.sub, tenant: principal.tenant, ip: socket.handshake.address, transport: socket.conn.transport.name });
  }

  disconnected(socket: Socket, principal: Principal | undefined, reason: string): void {
    this.metrics.socketConnections.dec();
    this.logger.log({ msg: 'socket disconnected', socket_id: socket.id, sub: principal?.sub, tenant: principal?.tenant, reason });
  }

  refused(socket: Socket, message: string): void {
    const reason = refusalReason(message);
    this.metrics.socketRefusals.inc({ reason });
    this.metrics.authRefusals.inc({ reason });
    this.logger.warn({ msg: 'socket handshake refused', reason, detail: message, ip: socket.handshake.address });
  }
}
