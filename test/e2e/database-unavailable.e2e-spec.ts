import pg from 'pg';
import { bearer, connectChat, frameData, jsonClient, openSse, request } from '@riser/testing';
import { queryDb } from '../support/db.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';
import { until } from '../support/wait.js';

// DB_POOL_WAIT_MS: what a query that finds no free connection in time does. The tests take the
// pool's two connections with admissions held on a table lock (`locker` holds it).
describe('DB_POOL_WAIT_MS: no free database connection in time', () => {
  let riser: RiserTestApp;
  let locker: pg.Client;
  beforeAll(async () => {
    riser = await startRiser({ env: { DB_POOL_MAX: '2', DB_POOL_WAIT_MS: '300', DEMO_TOKEN_DELAY_MS: '40' } });
    locker = new pg.Client({ connectionString: riser.databaseUrl });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await riser?.destroy();
  });

  // A request is told to retry (503 `unavailable`, a socket ack with that code), not answered
  // as a server fault, and the runs already waiting on the database are not lost.
  it('answers 503 unavailable over HTTP and ok: false over Socket.IO, then serves the waiting run once the database answers', async () => {
    const alice = riser.token('alice');
    // Both of the pool's connections: taken by two runs whose admissions wait on a table lock.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE riser.runs IN ACCESS EXCLUSIVE MODE');
    const waiting = ['pool-first', 'pool-first-2'].map((thread_id) =>
      openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'first', thread_id } }),
    );
    await until(
      () => queryDb(riser.databaseUrl, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`),
      (rows) => rows[0].n >= 2,
    );

    const refused = await jsonClient(riser.url, bearer(alice)).post('/chat/stream', { message: 'second', thread_id: 'pool-second' });
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: 'unavailable', message: 'the database is not answering right now; retry shortly' });

    const socket = await connectChat(riser.url, alice);
    try {
      const ack = await request(socket, 'chat', { message: 'third', thread_id: 'pool-third' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    } finally {
      socket.close();
    }

    await locker.query('ROLLBACK');
    for (const first of await Promise.all(waiting)) {
      expect(first.status).toBe(200);
      expect(frameData(await first.collect()).pop()).toBe('[DONE]');
    }
    const runs = await queryDb(riser.databaseUrl, `SELECT thread_id, status FROM riser.runs ORDER BY thread_id`);
    expect(runs).toEqual([
      { thread_id: 'pool-first', status: 'success' },
      { thread_id: 'pool-first-2', status: 'success' },
    ]);

    // The process went on: the next request is served.
    const again = await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'again', thread_id: 'pool-second' } });
    expect(again.status).toBe(200);
    expect(frameData(await again.collect()).pop()).toBe('[DONE]');
  });

  // A run whose checkpoint write finds no connection in time fails; its end is recorded once
  // the database answers again (its clients get `end` only then), so its thread is not left busy.
  it('ends the run once the database answers, then frees its thread', async () => {
    const alice = riser.token('alice');
    const run = await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'hello there', thread_id: 'away' } });
    expect(run.status).toBe(200);
    const frames = run.frames();
    const next = async () => {
      const { value } = await frames.next();
      return value?.data === undefined ? undefined : value.data === '[DONE]' ? '[DONE]' : JSON.parse(value.data);
    };
    expect(await next()).toHaveProperty('run_id');
    expect(await next()).toHaveProperty('content');
    // While it streams, two admissions held on a table lock take both pool connections: the
    // run's checkpoint write at the end of its node waits 300 ms for one, and fails.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE riser.threads IN ACCESS EXCLUSIVE MODE');
    const held = ['held-1', 'held-2'].map((thread_id) => openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'wait', thread_id } }));
    let frame: unknown;
    do frame = await next();
    while (frame && typeof frame === 'object' && 'content' in frame);
    expect(frame).toEqual({ error: 'graph_error', message: 'Error: timeout exceeded when trying to connect' });
    // Its end cannot be recorded yet: no `end` meanwhile.
    const done = next();
    const early = await Promise.race([done.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('open'), 1_000))]);
    expect(early).toBe('open');

    await locker.query('ROLLBACK');
    expect(await done).toBe('[DONE]');
    expect(await queryDb(riser.databaseUrl, `SELECT status, error_code FROM riser.runs WHERE thread_id = 'away'`)).toEqual([{ status: 'error', error_code: 'graph_error' }]);
    for (const h of await Promise.all(held)) expect(frameData(await h.collect()).pop()).toBe('[DONE]');
    const again = await openSse(`${riser.url}/chat/stream`, { headers: bearer(alice), body: { message: 'again', thread_id: 'away' } });
    expect(again.status).toBe(200);
    expect(frameData(await again.collect()).pop()).toBe('[DONE]');
  });
});
