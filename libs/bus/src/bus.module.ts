import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { LocalRunLogs, LocalRunSignals, RunLogs, RunSignals, RUN_CORE_OPTIONS, type RunCoreOptions } from '@riser/run-core';
import { RedisConnection, type RedisOptions } from './redis-connection.js';
import { RedisRunLogs } from './redis-run-logs.js';
import { RedisRunSignals } from './redis-run-signals.js';

/** Closes the Redis connections last, with the app (after runs drained and streams closed). */
class RedisCloser implements OnApplicationShutdown {
  constructor(private readonly redis: RedisConnection) {}

  onApplicationShutdown(): void {
    this.redis.close();
  }
}

/**
 * The run core's cluster ports, chosen once by configuration: in process for one replica
 * (no Redis), Redis Streams and pub/sub for several. Refuses to start when a configured
 * Redis cannot be reached.
 */
@Module({})
export class BusModule {
  static forRoot(redis: RedisOptions | undefined): DynamicModule {
    if (!redis) {
      return {
        module: BusModule,
        global: true,
        providers: [
          { provide: RunLogs, useClass: LocalRunLogs },
          { provide: RunSignals, useClass: LocalRunSignals },
        ],
        exports: [RunLogs, RunSignals],
      };
    }
    return {
      module: BusModule,
      global: true,
      providers: [
        { provide: RedisConnection, useFactory: () => RedisConnection.connect(redis) },
        { provide: RedisCloser, inject: [RedisConnection], useFactory: (c: RedisConnection) => new RedisCloser(c) },
        {
          provide: RunLogs,
          inject: [RedisConnection, RUN_CORE_OPTIONS],
          useFactory: (c: RedisConnection, o: RunCoreOptions) => new RedisRunLogs(c, { ...o.log, leaseMs: o.leaseMs }),
        },
        {
          provide: RunSignals,
          inject: [RedisConnection, RUN_CORE_OPTIONS],
          useFactory: (c: RedisConnection, o: RunCoreOptions) => new RedisRunSignals(c, o.worker.boot),
        },
      ],
      exports: [RedisConnection, RunLogs, RunSignals],
    };
  }
}
