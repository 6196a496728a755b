import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '@riser/auth';
import { Database } from '@riser/persistence';
import { RunLogs } from '@riser/run-core';
import { Shutdown } from '../../lifecycle/shutdown.js';

/**
 * Liveness (the process answers) and readiness: it can reach Postgres (and Redis, with
 * replicas), and is not shutting down. Public on purpose.
 */
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: Database,
    private readonly logs: RunLogs,
    private readonly shutdown: Shutdown,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.accepting(), () => this.postgres(), () => this.runStore()]);
  }

  private accepting() {
    const indicator = this.indicators.check('lifecycle');
    return this.shutdown.isReady ? indicator.up() : indicator.down({ message: 'shutting down' });
  }

  private async postgres() {
    const indicator = this.indicators.check('postgres');
    const started = Date.now();
    try {
      await this.db.ping();
      return indicator.up({ latency_ms: Date.now() - started, embedded: this.db.isEmbedded });
    } catch {
      return indicator.down({ message: 'Postgres is unreachable' });
    }
  }

  /** The run event store: in process (always up), or Redis with replicas. */
  private runStore() {
    const indicator = this.indicators.check('run_events');
    return this.logs.available ? indicator.up() : indicator.down({ message: 'Redis is unreachable' });
  }
}
