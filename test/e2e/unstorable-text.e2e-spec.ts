import { bearer, connectChat, jsonClient, request, runMessages, type Socket } from '@riser/testing';
import { queryDb } from '../support/db.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

/**
 * Text Postgres cannot store — `\u0000` and unpaired UTF-16 surrogates — sent in every
 * field of every route and socket event that stores client text: a 4xx `invalid_request`
 * naming the field (the Platform API's validation status is 422, as for any bad field), a
 * socket ack `invalid_payload`, never a 500, and nothing written.
 */
const BAD = [
  ['NUL', 'a\u0000b'],
  ['lone high surrogate', 'x\ud800'],
  ['lone low surrogate', '\udc00y'],
] as const;

describe('text Postgres cannot store is refused at the edge', () => {
  let riser: RiserTestApp;
  let http: ReturnType<typeof jsonClient>;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '0' } });
    http = jsonClient(riser.url, bearer(riser.token('alice', { tenant: 'acme', roles: ['approver'] })));
    expect((await http.post('/threads', { thread_id: 'existing' })).status).toBe(200);
  });
  afterAll(async () => {
    sockets.splice(0).forEach((s) => s.close());
    await riser.destroy();
  });

  /** [route, body with the bad text at `field`, status] for every storing route. */
  const routes = (bad: string): [string, string, Record<string, unknown>, string, number][] => [
    ['POST', '/chat/stream', { message: bad, thread_id: 'never-1' }, 'message', 400],
    ['POST', '/chat/stream', { message: 'hi', thread_id: 'never-2', config: { configurable: { note: bad } } }, 'config.configurable.note', 400],
    ['POST', '/chat/stream', { thread_id: 'existing', resume: { interrupt_id: 'i1', decision: 'edit', value: { amount: bad } } }, 'resume.value.amount', 400],
    ['POST', '/chat/stream', { thread_id: 'existing', resume: { interrupt_id: 'i1', decision: 'reject', comment: bad } }, 'resume.comment', 400],
    ['POST', '/chat/threads/existing/approvals/i1', { decision: 'approve', comment: bad }, 'comment', 400],
    ['POST', '/chat/threads/existing/approvals/i1', { decision: 'edit', value: [{ k: bad }] }, 'value.0.k', 400],
    ['POST', '/threads', { thread_id: 'never-3', metadata: { owner: bad } }, 'metadata.owner', 422],
    ['POST', '/threads', { thread_id: 'never-4', metadata: { [`k${bad}`]: 1 } }, `metadata.${JSON.stringify(`k${bad}`).slice(1, -1)}`, 422],
    ['PATCH', '/threads/existing', { metadata: { note: bad } }, 'metadata.note', 422],
    ['POST', '/threads/search', { metadata: { note: bad } }, 'metadata.note', 422],
    ['POST', '/threads/existing/state', { values: { messages: [{ type: 'human', content: bad }] } }, 'values.messages.0.content', 422],
    ['POST', '/threads/existing/history', { metadata: { note: bad } }, 'metadata.note', 422],
    ['POST', '/threads/existing/runs', { assistant_id: 'agent', input: { messages: [{ role: 'user', content: bad }] } }, 'input.messages.0.content', 422],
    ['POST', '/threads/existing/runs/stream', { assistant_id: 'agent', metadata: { tag: bad } }, 'metadata.tag', 422],
    ['POST', '/threads/existing/runs/wait', { assistant_id: 'agent', config: { configurable: { user: bad } } }, 'config.configurable.user', 422],
    ['POST', '/threads/existing/runs', { assistant_id: 'agent', command: { resume: { text: bad } } }, 'command.resume.text', 422],
    ['POST', '/runs/stream', { assistant_id: 'agent', input: { messages: [{ role: 'user', content: bad }] } }, 'input.messages.0.content', 422],
    ['POST', '/runs/wait', { assistant_id: 'agent', context: { who: bad } }, 'context.who', 422],
    ['POST', '/assistants/search', { metadata: { m: bad } }, 'metadata.m', 422],
  ];

  describe.each(BAD)('%s', (_name, bad) => {
    it.each(routes(bad).map((r) => [`${r[0]} ${r[1]} ${r[3]}`, ...r] as const))('%s', async (_label, method, path, body, field, status) => {
      const res = method === 'PATCH' ? await http.patch(path, body) : await http.post(path, body);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(res.body).toMatchObject({ error: 'invalid_request', field, message: expect.stringContaining(field) });
    });
  });

  it('writes nothing for a refused request, and still stores good text beside it', async () => {
    const refused = await http.post('/threads', { thread_id: 'half-1', metadata: { a: 'fine', b: 'x\u0000' } });
    expect(refused.status).toBe(422);
    expect((await http.get('/threads/half-1')).status).toBe(404);
    const rows = await queryDb(riser.databaseUrl, `SELECT count(*)::int AS n FROM riser.threads WHERE thread_id LIKE 'never-%' OR thread_id = 'half-1'`);
    expect(rows[0].n).toBe(0);
    // Astral characters (a valid surrogate pair) and other control characters are text like any other.
    const ok = await http.post('/threads', { thread_id: 'good-1', metadata: { emoji: '🦜', tab: 'a\tb\u0001' } });
    expect(ok.status).toBe(200);
    expect((await http.get('/threads/good-1')).body.metadata).toMatchObject({ emoji: '🦜', tab: 'a\tb\u0001' });
  });

  describe('over the socket', () => {
    let socket: Socket;
    beforeAll(async () => {
      socket = await connectChat(riser.url, riser.token('alice', { tenant: 'acme', roles: ['approver'] }));
      sockets.push(socket);
    });

    it.each(BAD)('chat and approve with %s → invalid_payload naming the field', async (_name, bad) => {
      expect(await request(socket, 'chat', { message: bad, thread_id: 'never-ws' })).toMatchObject({
        ok: false,
        error: { code: 'invalid_payload', field: 'message' },
      });
      expect(await request(socket, 'approve', { thread_id: 'existing', interrupt_id: 'i1', decision: 'edit', value: { note: bad } })).toMatchObject({
        ok: false,
        error: { code: 'invalid_payload', field: 'value.note' },
      });
      expect(await request(socket, 'approve', { thread_id: 'existing', interrupt_id: 'i1', decision: 'reject', comment: bad })).toMatchObject({
        ok: false,
        error: { code: 'invalid_payload', field: 'comment' },
      });
    });

    it('keeps the socket usable afterwards', async () => {
      let runId: string | undefined;
      const messages = runMessages(socket, () => runId);
      const ack = await request(socket, 'chat', { message: 'still here?', thread_id: 'ws-after' });
      expect(ack).toMatchObject({ ok: true });
      runId = ack.run_id;
      expect((await messages).pop()).toMatchObject({ done: true, status: 'success' });
      expect((await http.get('/threads/never-ws')).status).toBe(404);
    });
  });
});
