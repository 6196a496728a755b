import { Client } from '@langchain/langgraph-sdk';
import { bearer, jsonClient } from '@riser/testing';
import { ThreadService } from '@riser/run-core';
import { startRiserWithApp } from '../support/riser.js';

/**
 * Thread search and history pages are capped by MAX_PAGE_SIZE (422 naming `limit` past
 * it), and a search page reads each thread's checkpoint a few at a time, or not at all when
 * no field of the state was selected.
 */
describe('expensive reads are bounded', () => {
  let riser: Awaited<ReturnType<typeof startRiserWithApp>>;
  let http: ReturnType<typeof jsonClient>;
  const reads = { total: 0, running: 0, most: 0 };

  beforeAll(async () => {
    riser = await startRiserWithApp({ env: { MAX_PAGE_SIZE: '8' } });
    http = jsonClient(riser.url, bearer(riser.token('reader')));
    const client = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(riser.token('reader')) });
    for (let i = 0; i < 10; i++) {
      const thread = await client.threads.create({ threadId: `page-${i}` });
      await client.runs.wait(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: `hi ${i}` }] } });
    }
    // Counts the checkpoint reads the routes make, and how many run at once.
    const threads = riser.app.get(ThreadService);
    const state = threads.state.bind(threads);
    threads.state = (async (...args: Parameters<ThreadService['state']>) => {
      reads.total++;
      reads.most = Math.max(reads.most, ++reads.running);
      try {
        return await state(...args);
      } finally {
        reads.running--;
      }
    }) as ThreadService['state'];
  });
  beforeEach(() => Object.assign(reads, { total: 0, running: 0, most: 0 }));
  afterAll(() => riser.destroy());

  it.each([
    ['POST /threads/search', () => http.post('/threads/search', { limit: 9 })],
    ['POST /threads/:id/history', () => http.post('/threads/page-0/history', { limit: 9 })],
    ['GET /threads/:id/history', () => http.get('/threads/page-0/history?limit=9')],
    ['GET /threads/:id/runs', () => http.get('/threads/page-0/runs?limit=9')],
  ])('%s past MAX_PAGE_SIZE → 422 invalid_request naming limit, nothing read', async (_name, call) => {
    const res = await call();
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: 'invalid_request', field: 'limit', message: expect.stringContaining('8') });
    expect(reads.total).toBe(0);
  });

  it('a full page reads one checkpoint per thread, at most 4 at a time, and says where the next page starts', async () => {
    const res = await http.post('/threads/search', { limit: 8 });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(8);
    expect(res.body.every((t: { values: unknown }) => t.values !== null)).toBe(true);
    expect(res.headers.get('x-pagination-next')).toBe('8');
    expect(reads.total).toBe(8);
    expect(reads.most).toBeLessThanOrEqual(4);
    expect(reads.most).toBeGreaterThan(1);
    const rest = await http.post('/threads/search', { limit: 8, offset: 8 });
    expect(rest.body).toHaveLength(2);
  });

  it('a search selecting no field of the state reads no checkpoint', async () => {
    const res = await http.post('/threads/search', { limit: 8, select: ['thread_id', 'status'] });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(8);
    expect(Object.keys(res.body[0]).sort()).toEqual(['status', 'thread_id']);
    expect(reads.total).toBe(0);
  });

  it('history pages up to the cap', async () => {
    const res = await http.post('/threads/page-0/history', { limit: 8 });
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(1);
    expect(res.body.length).toBeLessThanOrEqual(8);
  });
});
