export { BusModule } from './bus.module.js';
export { RedisConnection, redact, type RedisOptions } from './redis-connection.js';
export { RedisRunLogs } from './redis-run-logs.js';
export { RedisRunSignals } from './redis-run-signals.js';
