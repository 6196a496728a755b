import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { RunDrain, RunLogs, StreamEndCode } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../config/riser-config.js';
import { SseFraming } from '../http/sse/sse-framing.js';
import { ChatGateway } from '../ws/chat.gateway.js';
import { ChatWsServer } from '../ws/plain/chat-ws.server.js';

/**
 * Riser's shutdown, in one explicit order instead of the order Nest sorts modules in:
 * 1. readiness turns 503 and no run is started or claimed here any more;
 * 2. runs get SHUTDOWN_GRACE_MS to finish; then, alone, the rest end `shutdown`, and with
 *    replicas they are handed back to be resumed elsewhere;
 * 3. with replicas, every stream still open here gets a final `rejoin` frame (the run goes
 *    on elsewhere); alone, streams got their runs' ends;
 * 4. streams flush and close (those of clients that stopped reading after a moment), and the
 *    sockets of this replica (Socket.IO and `/chat/ws`) are closed.
 * Then `app.close()` closes the HTTP server, Redis, the pool and the embedded Postgres, in
 * that order (their own shutdown hooks; none of them is needed by the steps above).
 */
@Injectable()
export class Shutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private sequence?: Promise<void>;

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly drain: RunDrain,
    private readonly logs: RunLogs,
    private readonly sse: SseFraming,
    private readonly gateway: ChatGateway,
    private readonly plainSockets: ChatWsServer,
  ) {}

  /** False once shutdown began: load balancers stop sending requests here. */
  get isReady(): boolean {
    return !this.sequence;
  }

  /** Runs the sequence once; later calls wait for the same one. */
  run(): Promise<void> {
    this.sequence ??= this.steps();
    return this.sequence;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.run();
  }

  private async steps(): Promise<void> {
    await this.drain.drain();
    if (this.config.runCore.takeover) {
      this.logs.stopReaders(StreamEndCode.rejoin, 'this replica is shutting down; rejoin from the last event id');
    }
    await Promise.all([this.sse.closeStreams(), this.gateway.closeSockets(), this.plainSockets.closeConnections()]);
    this.logger.log('runs drained and streams closed');
  }
}
