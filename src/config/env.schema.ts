import { z } from 'zod';
import { durationSeconds } from './duration.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const port = int(0, 65535);
/** Seconds, from `90`, `90s`, `15m`, `24h` or `7d`. */
const duration = z
  .string()
  .transform((text, ctx) => {
    const seconds = durationSeconds(text);
    if (seconds === undefined || seconds < 1) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 3600, 15m, 24h or 7d' });
      return z.NEVER;
    }
    return seconds;
  });
const list = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean));

/**
 * Every environment variable Riser reads, with its default. The README's table is checked
 * against this schema by a test, so a variable cannot be added without being documented.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  /** Default: 127.0.0.1 with the generated dev secret (anyone could mint its tokens), else 0.0.0.0. */
  HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RISER_DATA_DIR: z.string().min(1).default('./.riser'),
  WORKER_ID: z.string().min(1).max(200).optional(),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  // 2 at least: the checkpointer's setup holds a connection (its lock) while it runs on another.
  DB_POOL_MAX: int(2, 1000).default(10),
  DB_POOL_WAIT_MS: int(1, 600_000).default(10_000),
  DB_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true'),
  EMBEDDED_PG_PORT: port.optional(),

  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_JWKS_URI: z.url().optional(),
  JWT_ALGORITHMS: list
    .pipe(z.array(z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256'])).min(1))
    .optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_TENANT_CLAIM: z.string().min(1).default('tenant'),
  JWT_ROLES_CLAIM: z.string().min(1).default('roles'),
  JWT_MAX_TTL: duration.default(24 * 3600),
  APPROVER_ROLE: z.string().min(1).default('approver'),
  API_KEYS: z.string().optional(),

  /** The langgraph.json naming the graphs to serve. */
  LANGGRAPH_JSON: z.string().min(1).optional(),
  /**
   * As on the official server: JSON default configs per graph,
   * `{"<graph_id>": {"configurable": {…}, "context": {…}, "tags": […], "recursion_limit": n}}`.
   * A value that is not JSON is read as the path of a langgraph.json (Riser's old meaning),
   * with a deprecation warning.
   */
  LANGGRAPH_CONFIG: z.string().min(1).optional(),
  /** What clients are told of a graph's exception: its class and message, credentials redacted (`message`), or its class only (`class`). */
  GRAPH_ERROR_DETAIL: z.enum(['message', 'class']).default('message'),
  DEMO_TOKEN_DELAY_MS: int(0, 60_000).default(15),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),

  RUN_TIMEOUT_MS: int(1).default(120_000),
  RUN_TIMEOUT_MAX_MS: int(1).default(600_000),
  RUN_LOG_MAX_EVENTS: int(10).default(50_000),
  RUN_LOG_MAX_BYTES: int(1024).default(16 * 1024 * 1024),
  RUN_LOG_TTL_MS: int(0).default(600_000),
  SHUTDOWN_GRACE_MS: int(0).default(10_000),
  RUN_LEASE_MS: int(1000).default(30_000),
  RUN_MAX_ATTEMPTS: int(1, 100).default(3),
  MAX_ACTIVE_RUNS_PER_TENANT: int(0).default(1000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  REDIS_PREFIX: z.string().min(1).max(100).default('riser:'),

  SSE_HEARTBEAT_MS: int(100).default(15_000),
  SSE_HEARTBEAT_STYLE: z.enum(['comment', 'data']).default('comment'),
  SSE_MAX_LAG_EVENTS: int(1).default(10_000),
  SSE_MAX_BUFFERED_BYTES: int(1024).default(4 * 1024 * 1024),
  WS_MAX_WAITING_MESSAGES: int(1, 10_000).default(16),

  MAX_MESSAGE_BYTES: int(1).default(32 * 1024),
  BODY_LIMIT_BYTES: int(1024).default(1024 * 1024),
  MAX_PAGE_SIZE: int(1, 1000).default(100),
  CRON_POLL_MS: int(100, 60_000).default(1000),
  BODY_DRAIN_MAX_BYTES: int(0).default(16 * 1024 * 1024),
  RATE_LIMIT_PER_MINUTE: int(0).default(60),
  CORS_ORIGINS: z.string().optional(),
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),

  METRICS_PORT: port.default(9464),

  // OpenTelemetry: read by its SDK as it documents them; validated here, listed in the README.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.string().optional(),
  OTEL_PROPAGATORS: z.string().optional(),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),

  // LangSmith: read by LangChain itself (every run is traced when on).
  LANGSMITH_TRACING: z.enum(['true', 'false']).optional(),
  LANGSMITH_API_KEY: z.string().min(1).optional(),
  LANGSMITH_ENDPOINT: z.url().optional(),
  LANGSMITH_PROJECT: z.string().min(1).optional(),
});

export type Env = z.infer<typeof envSchema>;
