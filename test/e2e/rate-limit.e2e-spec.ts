import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { bearer, connectChat, jsonClient, request, type Socket } from '@riser/testing';
import { hashApiKey } from '@riser/auth';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const REDIS_URL = process.env.RISER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers at REDIS_URL, known before the suites are defined (so they can be skipped). */
function redisReachable(): boolean {
  const { hostname, port } = new URL(REDIS_URL);
  const probe = `require('net').connect(${Number(port) || 6379}, ${JSON.stringify(hostname)}).on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5000 }).status === 0;
}

/** Something that counts against the budget on each transport; each answers with its status or ack code. */
function callers(riser: RiserTestApp, headers: Record<string, string>) {
  const http = jsonClient(riser.url, headers);
  return {
    /** A decision on an interrupt nobody has: counted, then 404 (or 429 past the budget). */
    decide: async () => (await http.post('/chat/threads/none/approvals/i1', { decision: 'approve' })).status,
    platformRun: async () => (await http.post('/threads/rl-none/runs', { assistant_id: 'agent' })).status,
    read: async () => (await http.get('/chat/threads/none')).status,
    raw: http,
  };
}

describe('rate limits per principal, one budget for HTTP and sockets', () => {
  let riser: RiserTestApp;
  const sockets: Socket[] = [];
  const apiKey = 'rsk_rate_limit_test_key_0123456789';

  beforeAll(async () => {
    riser = await startRiser({ env: { RATE_LIMIT_PER_MINUTE: '3', API_KEYS: `sha256:${hashApiKey(apiKey)}=svc@acme` } });
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => riser.destroy());

  it('past RATE_LIMIT_PER_MINUTE: 429 rate_limited with Retry-After, and the socket ack rate_limited', async () => {
    const alice = callers(riser, bearer(riser.token('alice', { tenant: 'acme' })));
    const socket = await connectChat(riser.url, riser.token('alice', { tenant: 'acme' }));
    sockets.push(socket);

    expect(await alice.decide()).toBe(404);
    expect(await request(socket, 'chat', { message: 'hi', thread_id: 'rl-1' })).toMatchObject({ ok: true });
    expect(await alice.platformRun()).toBe(404);

    const refused = await alice.raw.post('/chat/stream', { message: 'one too many' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'rate_limited', message: expect.any(String) });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await request(socket, 'approve', { thread_id: 'rl-1', interrupt_id: 'i1', decision: 'approve' })).toMatchObject({
      ok: false,
      error: { code: 'rate_limited', retry_after: expect.any(Number) },
    });
    // Reads are not limited; the refused attempts started nothing.
    expect(await alice.read()).toBe(404);
    const threads = await alice.raw.post('/threads/search', { limit: 100 });
    expect(threads.body.map((t: { thread_id: string }) => t.thread_id)).toEqual(['rl-1']);
  });

  it('another principal, and an API key, have budgets of their own', async () => {
    const bob = callers(riser, bearer(riser.token('bob', { tenant: 'acme' })));
    const service = callers(riser, { 'x-api-key': apiKey });
    for (let i = 0; i < 3; i++) {
      expect(await bob.decide()).toBe(404);
      expect(await service.decide()).toBe(404);
    }
    expect(await bob.decide()).toBe(429);
    expect(await service.decide()).toBe(429);
  });
});

// Redis going away is not a rate-limit question any more: Riser with REDIS_URL does not start
// without it, and while it is gone new runs and decisions are refused with 503 `unavailable`
// (test/e2e/cluster-*.e2e-spec.ts).

const withRedis = redisReachable() ? describe : describe.skip;
if (!redisReachable()) console.warn(`rate-limit e2e: no Redis at ${REDIS_URL} (set RISER_TEST_REDIS_URL): the two-replica suite is skipped`);

withRedis('rate limits shared by two replicas through Redis', () => {
  let a: RiserTestApp;
  let b: RiserTestApp;
  const prefix = `riser-test-${randomBytes(4).toString('hex')}:`;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const env = { RATE_LIMIT_PER_MINUTE: '4', REDIS_URL, REDIS_PREFIX: prefix };
    a = await startRiser({ env });
    b = await startRiser({ databaseUrl: a.databaseUrl, env: { ...env, JWT_SECRET: a.env.JWT_SECRET } });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await b.close();
    await a.destroy();
  });

  it('one budget across both replicas and both transports, kept under REDIS_PREFIX', async () => {
    const token = a.token('carol', { tenant: 'acme' });
    const [onA, onB] = [callers(a, bearer(token)), callers(b, bearer(token))];
    const socketB = await connectChat(b.url, token);
    sockets.push(socketB);

    expect(await onA.decide()).toBe(404);
    expect(await onB.decide()).toBe(404);
    expect(await request(socketB, 'approve', { thread_id: 'none', interrupt_id: 'i1', decision: 'approve' })).toMatchObject({ error: { code: 'thread_not_found' } });
    expect(await onA.platformRun()).toBe(404);

    const refused = await onB.raw.post('/chat/threads/none/approvals/i1', { decision: 'approve' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await onA.decide()).toBe(429);
    expect(await request(socketB, 'chat', { message: 'hi' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });

    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.keys(`${prefix}*`)).toEqual([`${prefix}rate-limit:jwt:acme:carol`]);
    } finally {
      await redis.quit();
    }
  });
});
