import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SpanKind, trace } from '@opentelemetry/api';
import type { Socket } from 'socket.io';
import type { Principal } from '@riser/auth';
import { refusalReason } from '../metrics/auth-refusal.js';
import { RiserMetrics } from '../metrics/riser-metrics.js';
import { logScope } from '../logging/log-scope.js';
import { RISER_CONFIG, type RiserConfig } from '../config/riser-config.js';
import { TRACER_NAME } from '../tracing/run-tracing.js';

/**
 * What ops see of sockets: connections counted and logged as they open and close, refused
 * handshakes counted by reason and logged. Never the token: only who (sub, tenant), the
 * socket id and the peer address.
 */
@Injectable()
export class SocketTelemetry {
  private readonly logger = new Logger('ChatGateway');

  private readonly tracer = trace.getTracer(TRACER_NAME);

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    readonly metrics: RiserMetrics,
  ) {}

  connected(socket: Socket, principal: Principal): void {
    // Each event the socket sends is handled (and starts its runs) in a log scope of its own.
    socket.use((_packet, next) => logScope.run({ reqId: randomUUID(), tenant: principal.tenant }, next));
    if (this.config.tracing.enabled) socket.use((packet, next) => this.traced(packet, next));
    this.metrics.socketConnections.inc();
    this.logger.log({ msg: 'socket connected', socket_id: socket.id, sub: principal.sub, tenant: principal.tenant, ip: socket.handshake.address, transport: socket.conn.transport.name });
  }

  /** A SERVER span per socket event, ended when its ack is sent; the run it starts is its child. */
  private traced(packet: unknown[], next: (err?: Error) => void): void {
    const span = this.tracer.startSpan(`socket ${String(packet[0])}`, { kind: SpanKind.SERVER, attributes: { 'riser.socket.event': String(packet[0]) } });
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') {
      packet[packet.length - 1] = (...args: unknown[]) => {
        span.end();
        return (ack as (...a: unknown[]) => unknown)(...args);
      };
    } else {
      setImmediate(() => span.end());
    }
    const scope = logScope.getStore();
    if (scope) scope.span = span;
    next();
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
