import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Database } from '@riser/persistence';
import { RunLogs } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../config/riser-config.js';
import { RiserMetrics } from './riser-metrics.js';

/**
 * Gauges of shared state, read when Prometheus scrapes rather than kept up to date: the pg
 * pool, pending runs and approvals (counted in Postgres, so every replica reports the same
 * cluster-wide value: aggregate them with `max`, not `sum`), and Redis reachability.
 */
@Injectable()
export class StateMetrics implements OnModuleInit {
  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly metrics: RiserMetrics,
    private readonly db: Database,
    private readonly logs: RunLogs,
  ) {}

  onModuleInit(): void {
    const m = this.metrics;
    m.onScrape(() => {
      const pool = this.db.pool;
      m.pgPool.set({ state: 'total' }, pool.totalCount);
      m.pgPool.set({ state: 'idle' }, pool.idleCount);
      m.pgPool.set({ state: 'waiting' }, pool.waitingCount);
      if (this.config.redis) m.redisUp.set(this.logs.available ? 1 : 0);
    });
    m.onScrape(async () => {
      const { rows } = await this.db.query<{ runs: number; approvals: number }>(
        `SELECT (SELECT count(*) FROM riser.runs WHERE status = 'pending')::int AS runs,
                (SELECT count(*) FROM riser.approvals WHERE status = 'pending')::int AS approvals`,
      );
      m.runsPending.set(rows[0].runs);
      m.approvalsPending.set(rows[0].approvals);
    });
  }
}
