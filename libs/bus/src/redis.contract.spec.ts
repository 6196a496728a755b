import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { findRedisServer, startRedis, type TestRedis } from '../../../test/support/redis.js';
import { RedisConnection } from './redis-connection.js';
import { RedisRunLogs } from './redis-run-logs.js';
import { RedisRunSignals } from './redis-run-signals.js';
import { runLogsContract } from './contract/run-logs.contract.js';
import { runSignalsContract } from './contract/run-signals.contract.js';

// The machine's Redis (REDIS_URL, else 127.0.0.1:6379), under a prefix of its own per suite;
// else a redis-server of the suite's own on a free port (CI installs the binary but leaves no
// Redis running).
let url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const limits = { maxEvents: 50, maxBytes: 1e9, ttlMs: 300 };
const onMachine = canConnect(url);
const ownServer = !onMachine && !process.env.REDIS_URL && findRedisServer() !== undefined;
const reachable = onMachine || ownServer;
if (!reachable) console.warn(`SKIPPED Redis contract suites: no Redis at ${url} and no redis-server binary (set REDIS_URL or install redis-server); the same suites run in process in local.contract.spec.ts`);

/** Whether the Redis answers a PING, decided before the suites are declared (Jest collects them synchronously). */
function canConnect(target: string): boolean {
  const probe = `const r = new (require('ioredis').Redis)(${JSON.stringify(target)}, {lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null});
    r.connect().then(() => r.ping()).then(() => process.exit(0), () => process.exit(1));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5000 }).status === 0;
}

/** Two replicas: two connections and two stores on one Redis, one prefix. */
async function replicas<T>(build: (c: RedisConnection, boot: string) => T & { onModuleInit?(): unknown }) {
  const prefix = `contract-${randomBytes(4).toString('hex')}:`;
  const connections = [await RedisConnection.connect({ url, prefix }), await RedisConnection.connect({ url, prefix })];
  const [a, b] = connections.map((c, i) => build(c, `boot-${i}`));
  await a.onModuleInit?.();
  await b.onModuleInit?.();
  return { a, b, close: async () => connections.forEach((c) => c.close()) };
}

// Skipped only without a Redis (see the warning above).
(reachable ? describe : describe.skip)('Redis implementations', () => {
  let server: TestRedis | undefined;
  beforeAll(async () => {
    if (!ownServer) return;
    server = await startRedis();
    url = server.url;
  });
  afterAll(() => server?.destroy());

  runLogsContract('Redis Streams', { fences: true }, async () => ({ ...(await replicas((c) => new RedisRunLogs(c, { ...limits, leaseMs: 1000 }))), limits }));
  runSignalsContract('Redis', () => replicas((c, boot) => new RedisRunSignals(c, boot)));
});
