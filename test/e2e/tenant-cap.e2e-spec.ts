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
