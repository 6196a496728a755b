import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { AuthOptions, JwtAlgorithm } from '@riser/auth';
import { loadOrCreateDevSecret } from '@riser/auth/dev';
import type { PersistenceOptions } from '@riser/persistence';
import type { RunCoreOptions } from '@riser/run-core';
import { envSchema, type Env } from './env.schema.js';
import { parseApiKeys } from './api-keys.js';
import { graphSources } from './graph-sources.js';

export interface SseOptions {
  heartbeatMs: number;
  heartbeatStyle: 'comment' | 'data';
  maxLagEvents: number;
  maxBufferedBytes: number;
}

/** The typed configuration the app is built from. */
export interface RiserConfig {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  /** True when HOST was not set and the dev secret kept the server on the loopback address. */
  loopbackForDevSecret: boolean;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  persistence: PersistenceOptions;
  auth: AuthOptions;
  /** True when tokens are signed with the generated local dev secret. */
  usesDevSecret: boolean;
  runCore: RunCoreOptions;
  sse: SseOptions;
  /** Several replicas share runs, sockets and rate-limit budgets through this Redis (REDIS_URL); every key starts with `prefix`. One process without it. */
  redis?: { url: string; prefix: string };
  /** Run starts and decisions per principal per minute (0: no limit). */
  rateLimit: { perMinute: number };
  http: {
    maxMessageBytes: number;
    bodyLimitBytes: number;
    bodyDrainMaxBytes: number;
    /** Largest `limit` of a list, search or history page. */
    maxPageSize: number;
    /** Messages a `/chat/ws` connection may have waiting to be handled before Riser stops reading it. */
    wsMaxWaitingMessages: number;
    corsOrigins: string[] | '*';
    trustProxy: boolean;
  };
  /** Prometheus metrics on their own port; 0 = off. */
  metrics: { port: number };
  /** How often each replica looks for due crons. */
  crons: { pollMs: number };
  /** OpenTelemetry traces: on when an OTLP endpoint is set (and the SDK not disabled). */
  /** `riser` unless OTEL_SERVICE_NAME or a `service.name` in OTEL_RESOURCE_ATTRIBUTES names it. */
  tracing: { enabled: boolean; serviceName: string | undefined; langsmith: boolean };
}

export const RISER_CONFIG = Symbol('riser:config');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment with one schema and builds the typed config. A bad value
 * throws a ConfigError naming the variable. In development with no JWT settings, the local
 * dev secret is read (or made) in the data folder.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): RiserConfig {
  const input = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map(describeIssue));
  const env = parsed.data;
  const problems: string[] = [];
  if (env.JWT_SECRET && env.JWT_JWKS_URI) problems.push('JWT_SECRET and JWT_JWKS_URI: set one of them, not both');
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET && !env.JWT_JWKS_URI) {
    problems.push('JWT_SECRET or JWT_JWKS_URI: required when NODE_ENV=production (no dev secret in production)');
  }
  const algorithms = env.JWT_ALGORITHMS ?? (env.JWT_JWKS_URI ? ['RS256', 'ES256'] : ['HS256']);
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  if (env.JWT_JWKS_URI && hmac.length) problems.push(`JWT_ALGORITHMS: ${hmac.join(', ')} cannot be used with JWT_JWKS_URI`);
  if (!env.JWT_JWKS_URI && hmac.length !== algorithms.length) problems.push('JWT_ALGORITHMS: asymmetric algorithms need JWT_JWKS_URI');
  if (env.LANGSMITH_TRACING === 'true' && !env.LANGSMITH_API_KEY) problems.push('LANGSMITH_API_KEY: required when LANGSMITH_TRACING=true');
  if (env.RUN_TIMEOUT_MS > env.RUN_TIMEOUT_MAX_MS) problems.push('RUN_TIMEOUT_MS: must not exceed RUN_TIMEOUT_MAX_MS');
  let apiKeys = new Map<string, { sub: string; tenant: string; roles: string[] }>();
  try {
    apiKeys = parseApiKeys(env.API_KEYS);
  } catch (err) {
    problems.push(`API_KEYS: ${(err as Error).message}`);
  }
  const graphs = graphSources(env, problems);
  if (problems.length) throw new ConfigError(problems);

  const dataDir = resolve(env.RISER_DATA_DIR);
  const usesDevSecret = !env.JWT_SECRET && !env.JWT_JWKS_URI;
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    // Fail closed: tokens signed with the generated dev secret can be minted by anyone who
    // can read the data folder, so such a server listens on this machine only unless told.
    host: env.HOST ?? (usesDevSecret ? '127.0.0.1' : '0.0.0.0'),
    loopbackForDevSecret: !env.HOST && usesDevSecret,
    logLevel: env.LOG_LEVEL,
    dataDir,
    persistence: {
      databaseUrl: env.DATABASE_URL,
      dataDir: resolve(dataDir, 'postgres'),
      embeddedPort: env.EMBEDDED_PG_PORT,
      poolMax: env.DB_POOL_MAX,
      poolWaitMs: env.DB_POOL_WAIT_MS,
      preparedStatements: env.DB_PREPARED_STATEMENTS === 'true',
    },
    auth: {
      secret: env.JWT_SECRET ?? (usesDevSecret ? loadOrCreateDevSecret(dataDir) : undefined),
      jwksUri: env.JWT_JWKS_URI,
      algorithms: algorithms as JwtAlgorithm[],
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      tenantClaim: env.JWT_TENANT_CLAIM,
      rolesClaim: env.JWT_ROLES_CLAIM,
      clockToleranceSec: 5,
      maxTtlSec: env.JWT_MAX_TTL,
      apiKeys,
    },
    usesDevSecret,
    runCore: {
      worker: workerIdentity(env.WORKER_ID),
      leaseMs: env.RUN_LEASE_MS,
      takeover: !!env.REDIS_URL,
      maxAttempts: env.RUN_MAX_ATTEMPTS,
      maxActiveRunsPerTenant: env.MAX_ACTIVE_RUNS_PER_TENANT,
      graphsConfigPath: graphs.path,
      graphsConfigFrom: graphs.pathFrom,
      graphDefaults: graphs.defaults,
      graphErrorDetail: env.GRAPH_ERROR_DETAIL,
      demo: {
        tokenDelayMs: env.DEMO_TOKEN_DELAY_MS,
        openai: env.OPENAI_API_KEY
          ? { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, model: env.OPENAI_MODEL }
          : undefined,
      },
      runTimeoutMs: env.RUN_TIMEOUT_MS,
      maxRunTimeoutMs: env.RUN_TIMEOUT_MAX_MS,
      log: { maxEvents: env.RUN_LOG_MAX_EVENTS, maxBytes: env.RUN_LOG_MAX_BYTES, ttlMs: env.RUN_LOG_TTL_MS },
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      approverRole: env.APPROVER_ROLE,
    },
    sse: {
      heartbeatMs: env.SSE_HEARTBEAT_MS,
      heartbeatStyle: env.SSE_HEARTBEAT_STYLE,
      maxLagEvents: env.SSE_MAX_LAG_EVENTS,
      maxBufferedBytes: env.SSE_MAX_BUFFERED_BYTES,
    },
    redis: env.REDIS_URL ? { url: env.REDIS_URL, prefix: env.REDIS_PREFIX } : undefined,
    rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE },
    http: {
      maxMessageBytes: env.MAX_MESSAGE_BYTES,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      bodyDrainMaxBytes: env.BODY_DRAIN_MAX_BYTES,
      maxPageSize: env.MAX_PAGE_SIZE,
      wsMaxWaitingMessages: env.WS_MAX_WAITING_MESSAGES,
      corsOrigins: corsOrigins(env),
      trustProxy: env.TRUST_PROXY === 'true',
    },
    metrics: { port: env.METRICS_PORT },
    crons: { pollMs: env.CRON_POLL_MS },
    tracing: {
      enabled: !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true',
      langsmith: env.LANGSMITH_TRACING === 'true',
      serviceName: env.OTEL_SERVICE_NAME ?? (/(^|,)\s*service\.name=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '') ? undefined : 'riser'),
    },
  };
}

/**
 * This process start: `boot` is new at every start (a restarted container has the same host
 * and pid), and is what leases and fencing go by; the id names it in logs and attempts.
 */
function workerIdentity(configured: string | undefined) {
  const boot = randomUUID();
  return { id: configured ?? `${hostname()}-${process.pid}-${boot.slice(0, 8)}`, host: hostname(), pid: process.pid, boot };
}

function corsOrigins(env: Env): string[] | '*' {
  if (env.CORS_ORIGINS === '*') return '*';
  if (env.CORS_ORIGINS) return env.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  // Development answers any origin; production none until configured.
  return env.NODE_ENV === 'production' ? [] : '*';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const name = issue.path.join('.') || '(environment)';
  // Values are not echoed: a variable may hold a secret.
  return `${name}: ${issue.message}`;
}
