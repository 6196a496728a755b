import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { bearer, createTestDatabase, tokenFactory } from '@riser/testing';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { cleanEnv, freePort, startRiserProcess, type RiserProcess } from '../support/riser-process.js';

const SECRET = 'o'.repeat(48);
const token = tokenFactory(SECRET)('otto', { tenant: 'acme' });
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('traces across replicas (two processes, one Redis)', () => {
  let first: RiserProcess | undefined;
  let second: RiserProcess | undefined;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let db: { url: string; drop(): Promise<void> };
  const redisUrl = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `riser-test-${hex(4)}:`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    db = await createTestDatabase();
    const shared = {
      DATABASE_URL: db.url,
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      DEMO_TOKEN_DELAY_MS: '150',
      REDIS_URL: redisUrl,
      // Its own keys: other suites (and other checkouts) may share this Redis.
      REDIS_PREFIX: prefix,
      RUN_LEASE_MS: '1000',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    };
    first = await startRiserProcess(cleanEnv({ ...shared, PORT: String(await freePort()), WORKER_ID: 'replica-a' }));
    second = await startRiserProcess(cleanEnv({ ...shared, PORT: String(await freePort()), WORKER_ID: 'replica-b' }));
  });
  afterAll(async () => {
    for (const riser of [first, second]) {
      if (riser && riser.child.exitCode === null && riser.child.signalCode === null) {
        riser.child.kill('SIGTERM');
        await riser.exited;
      }
    }
    await receiver.close();
    await db.drop();
    // Only this suite's keys.
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('a run taken over after its replica died continues the trace of the request that started it', async () => {
    const traceId = hex(16);
    const created = await fetch(`${first!.url}/threads/takeover-1/runs`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json', traceparent: `00-${traceId}-${hex(8)}-01` },
      body: JSON.stringify({ assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'a reply that takes a few seconds to stream' }] }, if_not_exists: 'create' }),
    });
    expect(created.status).toBe(200);
    const { run_id: runId } = (await created.json()) as { run_id: string };
    await new Promise((r) => setTimeout(r, 600));
    first!.child.kill('SIGKILL');
    await first!.exited;

    const joined = await fetch(`${second!.url}/threads/takeover-1/runs/${runId}/join`, { headers: bearer(token) });
    expect(joined.status).toBe(200);
    const deadline = Date.now() + 15_000;
    const attempts = () => receiver.spans.filter((s) => s.attributes['riser.run_id'] === runId);
    while (!attempts().some((s) => s.attributes['riser.run.status']) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // The first replica's request span was exported before it died (its attempt's was not);
    // the second replica's attempt is a child of that request, in the same trace.
    const request = receiver.spans.find((s) => s.traceId === traceId && s.name === 'POST /threads/:thread_id/runs');
    expect(request).toBeDefined();
    const taken = attempts().find((s) => s.attributes['riser.attempt'] === 2);
    expect(taken).toBeDefined();
    expect(taken!.traceId).toBe(traceId);
    expect(taken!.parentSpanId).toBe(request!.spanId);
    expect(taken!.attributes['riser.run.status']).toBe('success');
    expect(receiver.spans.some((s) => s.traceId === traceId && s.name === 'node agent' && s.parentSpanId === taken!.spanId)).toBe(true);
  });
});
