import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { bearer, connectChat, frameData, jsonClient, openSse, request } from '@riser/testing';
import { queryDb } from '../support/db.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';
import { until } from '../support/wait.js';

describe('MAX_ACTIVE_RUNS_PER_TENANT', () => {
  let riser: RiserTestApp;
  beforeAll(async () => {
    riser = await startRiser({ env: { MAX_ACTIVE_RUNS_PER_TENANT: '2', DEMO_TOKEN_DELAY_MS: '40' } });
  });
  afterAll(() => riser?.destroy());

  it('refuses a tenant\'s third active run with 429 too_many_runs (HTTP and socket); other tenants and interrupted runs do not count', async () => {
    const alice = riser.token('alice', { tenant: 'acme' });
    // One run paused at an interrupt: it holds no place.
    const paused = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'refund order 7', thread_id: 'cap-paused' } })).collect());
    expect(paused.some((d: any) => d?.interrupt)).toBe(true);

    const first = await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'one', thread_id: 'cap-1' } });
    const second = await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'two', thread_id: 'cap-2' } });
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await jsonClient(riser.url, bearer(alice)).post('/chat/stream', { message: 'three', thread_id: 'cap-3' });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ error: 'too_many_runs' });
    // Nothing half-written: no thread, no run for the refused message.
    expect(await queryDb(riser.databaseUrl, `SELECT thread_id FROM riser.threads WHERE thread_id = 'cap-3'`)).toEqual([]);

    const socket = await connectChat(riser.url, alice);
    try {
      const ack = await request(socket, 'chat', { message: 'four', thread_id: 'cap-4' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'too_many_runs' } });
    } finally {
      socket.close();
    }

    // Another tenant is not held back by acme's runs.
    const bob = riser.token('bob', { tenant: 'globex' });
    const other = await openSse(`${riser.url}/chat/stream`, { headers: bearer(bob), body: { message: 'mine', thread_id: 'cap-globex' } });
    expect(other.status).toBe(200);

    await Promise.all([first.collect(), second.collect(), other.collect()]);
    // Places free again once runs end.
    const active = () => queryDb(riser.databaseUrl, `SELECT count(*)::int AS n FROM riser.runs WHERE status IN ('pending','running')`);
    expect((await until(active, (rows) => rows[0].n === 0))[0].n).toBe(0);
    const again = await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'three again', thread_id: 'cap-3' } });
    expect(again.status).toBe(200);
    expect(frameData(await again.collect()).pop()).toBe('[DONE]');
  });
});

describe('MAX_ACTIVE_RUNS_PER_TENANT at its default (1000): admissions of one tenant under way at once', () => {
  let riser: RiserTestApp;
  let inFlight: pg.Client;
  beforeAll(async () => {
    riser = await startRiser();
    inFlight = new pg.Client({ connectionString: riser.databaseUrl });
    await inFlight.connect();
  });
  afterAll(async () => {
    await inFlight?.end().catch(() => undefined);
    await riser?.destroy();
  });

  const activeRuns = async () =>
    (await queryDb(riser.databaseUrl, `SELECT count(*)::int AS n FROM riser.runs WHERE tenant = 'acme' AND status IN ('pending','running')`))[0].n as number;
  /** `answered` if the promise settles within `ms`, else `waiting`. */
  const pendingFor = async <T>(promise: Promise<T>, ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'waiting'>((resolve) => (timer = setTimeout(() => resolve('waiting'), ms)));
    try {
      return await Promise.race([promise.then(() => 'answered' as const), waited]);
    } finally {
      clearTimeout(timer);
    }
  };

  it('do not wait for each other far below the cap; near it, the last place goes to one of them only', async () => {
    const alice = riser.token('alice', { tenant: 'acme' });
    // Another admission of the tenant's, not committed yet (a replica's, mid-transaction).
    const admitOpen = () =>
      inFlight.query(
        `SELECT outcome FROM riser_rules.admit_run($1, 'alice', 'acme', false, 'write', '{}', $2, 'agent', '{}', '{}', 'reject',
           '{"id":"elsewhere","host":"elsewhere","pid":1,"boot":"elsewhere"}', 3600000, 0, '{}', 1000)`,
        [`open-${randomUUID()}`, randomUUID()],
      );
    await inFlight.query('BEGIN');
    expect((await admitOpen()).rows[0].outcome).toBe('admitted');

    // Far below the cap, a run starts while that admission is still open.
    const started = openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'hi', thread_id: 'far-below' } });
    expect(await pendingFor(started, 5000)).toBe('answered');
    const stream = await started;
    expect(stream.status).toBe(200);
    expect(frameData(await stream.collect()).pop()).toBe('[DONE]');
    await inFlight.query('ROLLBACK');
    await until(activeRuns, (n) => n === 0);

    // One place left as far as committed rows go, and an admission under way takes it.
    await queryDb(
      riser.databaseUrl,
      `WITH t AS (INSERT INTO riser.threads (thread_id, owner_sub, tenant, status)
                  SELECT 'held-' || i, 'alice', 'acme', 'busy' FROM generate_series(1, 999) i RETURNING thread_id)
       INSERT INTO riser.runs (run_id, thread_id, assistant_id, owner_sub, tenant, status, worker_id, worker_boot, lease_expires_at)
       SELECT gen_random_uuid(), thread_id, 'agent', 'alice', 'acme', 'running', 'elsewhere', 'elsewhere', now() + interval '1 hour' FROM t`,
    );
    await inFlight.query('BEGIN');
    expect((await admitOpen()).rows[0].outcome).toBe('admitted');
    const late = jsonClient(riser.url, bearer(alice)).post('/chat/stream', { message: 'one too many', thread_id: 'near-cap' });
    // It waits for the open admission to commit rather than count without it…
    expect(await pendingFor(late, 500)).toBe('waiting');
    await inFlight.query('COMMIT');
    // …which took the last place.
    const refused = await late;
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'too_many_runs' });
    expect(await activeRuns()).toBe(1000);

    await queryDb(riser.databaseUrl, `UPDATE riser.runs SET status = 'cancelled', lease_expires_at = NULL WHERE tenant = 'acme' AND status = 'running'`);
    const again = await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'room again', thread_id: 'near-cap' } });
    expect(again.status).toBe(200);
    expect(frameData(await again.collect()).pop()).toBe('[DONE]');
  });
});
