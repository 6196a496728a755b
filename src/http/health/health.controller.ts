import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '@riser/auth';
import { Database } from '@riser/persistence';

/** Liveness (the process answers) and readiness (it can reach Postgres). Public on purpose. */
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: Database,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.postgres()]);
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
}
