import fastifyRateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RiserConfig } from '../config/riser-config.js';

/** What the rate limiter keys a caller by (see RateLimiter.consume). */
export interface RateLimitSubject {
  rateLimitKey: string;
  /** @fastify/rate-limit reads a route's groupId from here; a subject has none. */
  routeOptions: Record<string, never>;
}

/**
 * Registers @fastify/rate-limit with Riser's budget — RATE_LIMIT_PER_MINUTE per principal,
 * in a fixed one-minute window that starts with the caller's first counted request — and no
 * route of its own (`global: false`): the RateLimiter applies it to the routes and socket
 * events that start runs or decide interrupts, so HTTP and Socket.IO draw on one budget.
 * With REDIS_URL the counts live in Redis (its Lua INCR + PEXPIRE), shared by every
 * replica; otherwise in this process. A Redis failure lets requests through (and is
 * logged) rather than refusing everyone.
 */
export async function registerRateLimit(app: NestFastifyApplication, config: RiserConfig, logger: Logger): Promise<void> {
  if (!config.rateLimit.perMinute) return;
  const redis = config.redis ? connectRedis(config.redis.url, logger) : undefined;
  await app.register(fastifyRateLimit, {
    global: false,
    max: config.rateLimit.perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => (req as unknown as RateLimitSubject).rateLimitKey,
    ...(redis && { redis, nameSpace: `${config.redis!.prefix}rate-limit:` }),
    skipOnError: true,
  });
  if (redis) app.getHttpAdapter().getInstance().addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
}

function connectRedis(url: string, logger: Logger): Redis {
  // Fail fast while Redis is away (skipOnError lets the request through) instead of
  // queueing commands and holding requests.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'riser-rate-limit' });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: err.message }, 'rate limit: Redis unreachable, requests are not counted');
    warned = true;
  });
  redis.on('ready', () => (warned = false));
  return redis;
}
