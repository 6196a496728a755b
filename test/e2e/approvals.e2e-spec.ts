import jwt from 'jsonwebtoken';
import { bearer, connectChat, frameData, jsonClient, nextEvent, openSse, request, runMessages, type Socket } from '@riser/testing';
import { queryDb } from '../support/db.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const text = (messages: Record<string, any>[]) => messages.filter((m) => m.content).map((m) => m.content).join('');

describe('human-in-the-loop over Socket.IO', () => {
  let riser: RiserTestApp;
  const sockets: Socket[] = [];
  const connect = async (sub: string, tenant: string, roles: string[] = []) => {
    const socket = await connectChat(riser.url, riser.token(sub, { tenant, roles }));
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '1', DB_POOL_MAX: '30' } });
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => riser.destroy());

  /** Alice asks for a refund over the socket; resolves once the interrupt is announced. */
  async function requestRefund(owner: Socket, threadId: string, message = 'please refund order A-9 $40') {
    let runId: string | undefined;
    const messages = runMessages(owner, () => runId);
    const requested = nextEvent(owner, 'approval.requested', (e: any) => e.thread_id === threadId);
    const ack = await request(owner, 'chat', { message, thread_id: threadId });
    expect(ack).toMatchObject({ ok: true, thread_id: threadId, run_id: expect.any(String) });
    runId = ack.run_id;
    return { ack, messages: await messages, requested: await requested };
  }

  it('lists pending approvals over HTTP to exactly whom the socket announces them, and keeps the decided ones in the thread’s trail', async () => {
    const alice = await connect('alice', 'acme');
    const carolSocket = await connect('carol', 'acme', ['approver']);
    const carolGets = nextEvent(carolSocket, 'approval.requested', (e: any) => e.thread_id === 'hitl-list');
    await requestRefund(alice, 'hitl-list', 'refund order L-1 $12');
    const announced = await carolGets;
    const list = async (sub: string, tenant: string, roles: string[] = [], query = '') => {
      const response = await fetch(`${riser.url}/chat/approvals${query}`, { headers: bearer(riser.token(sub, { tenant, roles })) });
      return { status: response.status, body: await response.json() };
    };
    const mine = (body: any) => body.approvals.filter((a: any) => a.thread_id === 'hitl-list');
    // The owner and the tenant's approvers get the very payload of approval.requested; a
    // colleague without the role, and an approver of another tenant, get nothing of it.
    expect(mine((await list('alice', 'acme')).body)).toEqual([announced]);
    expect(mine((await list('carol', 'acme', ['approver'])).body)).toEqual([announced]);
    expect(mine((await list('bob', 'acme')).body)).toEqual([]);
    expect(mine((await list('dave', 'globex', ['approver'])).body)).toEqual([]);
    expect((await list('carol', 'acme', ['approver'], '?limit=0')).body).toMatchObject({ error: 'invalid_request', field: 'limit' });
    expect((await list('carol', 'acme', ['approver'], '?limit=101')).status).toBe(400);
    expect((await fetch(`${riser.url}/chat/approvals`)).status).toBe(401);

    const carol = jsonClient(riser.url, bearer(riser.token('carol', { tenant: 'acme', roles: ['approver'] })));
    const decided = await carol.post(`/chat/threads/hitl-list/approvals/${announced.interrupt_id}`, { decision: 'edit', value: { amount: 10 }, comment: 'ten is enough' });
    expect(decided.status).toBe(202);
    expect(mine((await list('carol', 'acme', ['approver'])).body)).toEqual([]);
    const view = (await jsonClient(riser.url, bearer(riser.token('alice', { tenant: 'acme' }))).get('/chat/threads/hitl-list')).body;
    expect(view.approvals).toEqual([]);
    expect(view.decided_approvals).toEqual([
      {
        interrupt_id: announced.interrupt_id,
        run_id: announced.run_id,
        value: announced.value,
        requested_by: 'alice',
        created_at: announced.created_at,
        decision: 'edit',
        decided_by: 'carol',
        decided_at: expect.any(String),
        comment: 'ten is enough',
        edited_value: { amount: 10 },
        resume_run_id: decided.body.run_id,
      },
    ]);
    const me = await fetch(`${riser.url}/chat/me`, { headers: bearer(riser.token('carol', { tenant: 'acme', roles: ['approver'] })) });
    expect(await me.json()).toEqual({ sub: 'carol', tenant: 'acme', roles: ['approver'], via: 'jwt', expires_at: expect.any(Number) });
  });

  it('announces the request to the owner and the tenant’s approvers only', async () => {
    const alice = await connect('alice', 'acme');
    const carol = await connect('carol', 'acme', ['approver']);
    const bob = await connect('bob', 'acme');
    const dave = await connect('dave', 'globex', ['approver']);
    const notFor = [bob, dave].map((s) => nextEvent(s, 'approval.requested', () => true, 1500).then(() => 'received', () => 'nothing'));
    const carolGets = nextEvent(carol, 'approval.requested', (e: any) => e.thread_id === 'hitl-1');
    const { messages, requested } = await requestRefund(alice, 'hitl-1');

    const interrupt = messages.find((m) => m.interrupt)!;
    expect(messages[messages.length - 1]).toMatchObject({ done: true, status: 'interrupted' });
    expect(requested).toEqual({
      thread_id: 'hitl-1',
      run_id: interrupt.run_id,
      interrupt_id: interrupt.interrupts[0].id,
      value: { action: 'issue_refund', args: { order_id: 'A-9', amount: 40 }, description: 'Refund $40.00 for order A-9' },
      requested_by: 'alice',
      created_at: expect.any(String),
    });
    expect(await carolGets).toEqual(requested);
    expect(await Promise.all(notFor)).toEqual(['nothing', 'nothing']);

    const view = await jsonClient(riser.url, bearer(riser.token('alice', { tenant: 'acme' }))).get('/chat/threads/hitl-1');
    expect(view.body.approvals).toEqual([expect.objectContaining({ interrupt_id: requested.interrupt_id, requested_by: 'alice' })]);
  });

  it.each([
    ['approve', undefined, /Done\. Refund issued: \$40\.00 for order A-9\./, 'approved'],
    ['reject', undefined, /I did not issue the refund\. Refund not issued: the reviewer rejected it\./, 'rejected'],
    ['edit', { amount: 12.5 }, /Done\. Refund issued: \$12\.50 for order A-9 \(edited by the reviewer\)\./, 'edited'],
  ])('%s: the decision resumes the graph once, streams to subscribers and is audited', async (decision, value, reply, status) => {
    const threadId = `hitl-${decision}`;
    const alice = await connect('alice', 'acme');
    const carol = await connect('carol', 'acme', ['approver']);
    const { requested } = await requestRefund(alice, threadId);

    let resumedId: string | undefined;
    const toOwner = runMessages(alice, () => resumedId);
    const toApprover = runMessages(carol, () => resumedId);
    const decided = nextEvent(alice, 'approval.decided', (e: any) => e.interrupt_id === requested.interrupt_id);
    const ack = await request(carol, 'approve', { thread_id: threadId, interrupt_id: requested.interrupt_id, decision, value, comment: 'ok by me' });
    expect(ack).toMatchObject({ ok: true, run_id: expect.any(String) });
    resumedId = ack.run_id;
    const [ownerSaw, approverSaw] = await Promise.all([toOwner, toApprover]);
    expect(text(ownerSaw)).toMatch(reply);
    expect(approverSaw).toEqual(ownerSaw);
    expect(await decided).toMatchObject({ thread_id: threadId, decision, decided_by: 'carol', decided_at: expect.any(String) });

    const view = await jsonClient(riser.url, bearer(riser.token('alice', { tenant: 'acme' }))).get(`/chat/threads/${threadId}`);
    expect(view.body.status).toBe('idle');
    expect(view.body.approvals).toEqual([]);
    const tool = view.body.messages.find((m: any) => m.role === 'tool');
    expect(tool.content).toContain("Reviewer's note: ok by me");
    expect(view.body.messages[view.body.messages.length - 1].content).toMatch(reply);

    const [row] = await queryDb(riser.databaseUrl, 'SELECT * FROM riser.approvals WHERE thread_id = $1', [threadId]);
    expect(row).toMatchObject({ status, decided_by: 'carol', decided_tenant: 'acme', requested_by: 'alice', resume_run_id: resumedId });
    expect(row.decision).toMatchObject({ decision, comment: 'ok by me' });
    expect(row.decided_at).toBeInstanceOf(Date);
  });

  it('applies exactly one of 20 concurrent decisions; the rest get already_decided', async () => {
    const alice = await connect('alice', 'acme');
    const { requested } = await requestRefund(alice, 'hitl-race');
    const deciders = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(`approver-${i}`, 'acme', ['approver'])));
    const acks = await Promise.all(
      deciders.map((s, i) => request(s, 'approve', { thread_id: 'hitl-race', interrupt_id: requested.interrupt_id, decision: i % 2 ? 'approve' : 'reject' })),
    );
    const won = acks.filter((a) => a.ok);
    expect(won).toHaveLength(1);
    expect(acks.filter((a) => !a.ok).map((a) => a.error.code)).toEqual(Array(19).fill('already_decided'));
    const runs = await queryDb(riser.databaseUrl, 'SELECT run_id FROM riser.runs WHERE thread_id = $1', ['hitl-race']);
    expect(runs).toHaveLength(2); // the interrupted run and the single resumed one
    expect(runs.map((r) => r.run_id)).toContain(won[0].run_id);
  });

  it('refuses decisions by people who may not decide, and on interrupts that are not pending', async () => {
    const alice = await connect('alice', 'acme');
    const { requested } = await requestRefund(alice, 'hitl-who');
    const bob = await connect('bob', 'acme');
    const dave = await connect('dave', 'globex', ['approver']);
    const decide = (s: Socket, interrupt_id = requested.interrupt_id) => request(s, 'approve', { thread_id: 'hitl-who', interrupt_id, decision: 'approve' });
    expect(await decide(bob)).toMatchObject({ ok: false, error: { code: 'thread_not_found' } });
    expect(await decide(dave)).toMatchObject({ ok: false, error: { code: 'thread_not_found' } });
    expect(await decide(alice, 'no-such-interrupt')).toMatchObject({ ok: false, error: { code: 'interrupt_not_found' } });
    // An approver may decide, but not write into someone else's conversation.
    const carol = await connect('carol', 'acme', ['approver']);
    expect(await request(carol, 'chat', { message: 'hi', thread_id: 'hitl-who' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // Nothing changed.
    const [row] = await queryDb(riser.databaseUrl, 'SELECT status FROM riser.approvals WHERE thread_id = $1', ['hitl-who']);
    expect(row.status).toBe('pending');
    // A new message goes past the interrupt: it is cancelled and can no longer be decided.
    let runId: string | undefined;
    const done = runMessages(alice, () => runId);
    runId = (await request(alice, 'chat', { message: 'never mind', thread_id: 'hitl-who' })).run_id;
    await done;
    expect(await decide(alice)).toMatchObject({ ok: false, error: { code: 'already_decided', status: 'cancelled' } });
  });

  it('the same decisions work over HTTP: 202 with the run, then 409 already_decided', async () => {
    const alice = await connect('alice', 'acme');
    const { requested } = await requestRefund(alice, 'hitl-http');
    const api = jsonClient(riser.url, bearer(riser.token('alice', { tenant: 'acme' })));
    let resumedId: string | undefined;
    const continuation = runMessages(alice, () => resumedId);
    const first = await api.post(`/chat/threads/hitl-http/approvals/${requested.interrupt_id}`, { decision: 'approve' });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ run_id: expect.any(String), thread_id: 'hitl-http' });
    resumedId = first.body.run_id;
    // The owner's socket follows the thread, so the continuation reaches it.
    expect(text(await continuation)).toMatch(/Refund issued/);
    const second = await api.post(`/chat/threads/hitl-http/approvals/${requested.interrupt_id}`, { decision: 'reject' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'already_decided', status: 'approved' });
    const bad = await api.post(`/chat/threads/hitl-http/approvals/${requested.interrupt_id}`, { decision: 'maybe' });
    expect(bad.status).toBe(400);
  });

  it('a run started over SSE is approved over the socket and its continuation read over SSE', async () => {
    const token = riser.token('alice', { tenant: 'acme' });
    const first = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'refund order S-1 $3', thread_id: 'x-sse' } })).collect());
    const interrupt = first.find((d: any) => d?.interrupt) as any;
    const carol = await connect('carol', 'acme', ['approver']);
    const ack = await request(carol, 'approve', { thread_id: 'x-sse', interrupt_id: interrupt.interrupts[0].id, decision: 'approve' });
    expect(ack.ok).toBe(true);
    const rejoin = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=x-sse&run_id=${ack.run_id}`, { headers: bearer(token) })).collect());
    expect(rejoin[0]).toEqual({ thread_id: 'x-sse', run_id: ack.run_id });
    expect((rejoin.slice(1, -1) as any[]).map((d) => d.content).join('')).toBe('Done. Refund issued: $3.00 for order S-1.');
    expect(rejoin[rejoin.length - 1]).toBe('[DONE]');
  });

  it('a run started over the socket is resumed over SSE (POST /chat/stream with resume)', async () => {
    const alice = await connect('alice', 'acme');
    const { requested } = await requestRefund(alice, 'x-socket', 'refund order K-2 $8');
    const token = riser.token('alice', { tenant: 'acme' });
    const resumed = frameData(
      await (await openSse(`${riser.url}/chat/stream`, {
        headers: bearer(token),
        body: { thread_id: 'x-socket', resume: { interrupt_id: requested.interrupt_id, decision: 'reject' } },
      })).collect(),
    );
    expect((resumed.slice(1, -1) as any[]).map((d) => d.content).join('')).toMatch(/^I did not issue the refund\./);
    const again = await fetch(`${riser.url}/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ thread_id: 'x-socket', resume: { interrupt_id: requested.interrupt_id, decision: 'approve' } }),
    });
    expect(again.status).toBe(409);
  });
});

describe('cancel', () => {
  let riser: RiserTestApp;
  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '150' } });
  });
  afterAll(() => riser.destroy());

  it('over the socket: stops a slow run within a second; subscribers get cancelled then done', async () => {
    const alice = await connectChat(riser.url, riser.token('alice'));
    let runId: string | undefined;
    const messages = runMessages(alice, () => runId);
    runId = (await request(alice, 'chat', { message: 'take your time', thread_id: 'cancel-ws' })).run_id;
    await nextEvent(alice, 'message', (m: any) => m.content);
    const started = Date.now();
    const ack = await request(alice, 'cancel', { thread_id: 'cancel-ws', run_id: runId });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ack).toMatchObject({ ok: true, status: 'cancelled' });
    const seen = await messages;
    expect(seen.slice(-2)).toEqual([
      expect.objectContaining({ error: 'cancelled' }),
      expect.objectContaining({ done: true, status: 'cancelled' }),
    ]);
    const [run] = await queryDb(riser.databaseUrl, 'SELECT status FROM riser.runs WHERE run_id = $1', [runId]);
    expect(run.status).toBe('cancelled');
    // The thread takes the next message.
    let nextId: string | undefined;
    const next = runMessages(alice, () => nextId);
    const ackNext = await request(alice, 'chat', { message: 'ok, quickly then', thread_id: 'cancel-ws' });
    expect(ackNext.ok).toBe(true);
    nextId = ackNext.run_id;
    await request(alice, 'cancel', { thread_id: 'cancel-ws', run_id: nextId });
    await next;
    expect(await request(alice, 'cancel', { thread_id: 'cancel-ws', run_id: nextId })).toMatchObject({ ok: false, error: { code: 'run_not_active' } });
    alice.close();
  });

  it('over HTTP: stops the run an SSE client is reading; it gets the cancelled frame and [DONE]', async () => {
    const token = riser.token('bob');
    const stream = await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'long', thread_id: 'cancel-http' } });
    const frames: any[] = [];
    let runId = '';
    for await (const frame of stream.frames()) {
      frames.push(frame);
      if (frame.id === '1') runId = JSON.parse(frame.data!).run_id;
      if (frame.id === '3') break;
    }
    const started = Date.now();
    const res = await jsonClient(riser.url, bearer(token)).post(`/chat/threads/cancel-http/runs/${runId}/cancel`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.body).toEqual({ run_id: runId, thread_id: 'cancel-http', status: 'cancelled' });
    const rest = await openSse(`${riser.url}/chat/stream?thread_id=cancel-http&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '3' } });
    const tail = frameData(await rest.collect());
    expect(tail.slice(-2)).toEqual([{ error: 'cancelled', message: expect.any(String) }, '[DONE]']);
    stream.close();
    const other = await jsonClient(riser.url, bearer(riser.token('mallory'))).post(`/chat/threads/cancel-http/runs/${runId}/cancel`);
    expect(other.status).toBe(404);
  });
});

describe('gateway auth and bad payloads', () => {
  let riser: RiserTestApp;
  beforeAll(async () => {
    riser = await startRiser();
  });
  afterAll(() => riser.destroy());

  const refused = (token: string | undefined) =>
    connectChat(riser.url, token).then(
      (s) => {
        s.close();
        return 'connected';
      },
      (err: Error & { data?: any }) => ({ message: err.message, code: err.data?.code }),
    );

  it.each([
    ['no token', () => undefined],
    ['an expired token', () => riser.token('a', { ttl: -10 })],
    ['a token with a bad signature', () => riser.token('a').slice(0, -4) + 'AAAA'],
    ['a none-signed token', () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a', exp: 9e9 })).toString('base64url')}.`],
    ['garbage', () => 'garbage'],
    ['a token without exp', () => jwt.sign({ sub: 'a' }, riser.env.JWT_SECRET)],
    ['a token living longer than JWT_MAX_TTL', () => riser.token('a', { ttl: '25h' })],
    ['a subject with a NUL character', () => riser.token('a\u0000b')],
  ])('refuses the handshake with %s', async (_name, token) => {
    expect(await refused(token())).toEqual({ message: 'unauthorized', code: 'unauthorized' });
  });

  it('accepts a token in the Authorization header (polling transport included)', async () => {
    const { io } = await import('socket.io-client');
    const socket = io(`${riser.url}/chat`, { extraHeaders: { authorization: `Bearer ${riser.token('hdr')}` }, transports: ['polling'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
    expect(await request(socket, 'subscribe', { thread_id: 'none-yet' })).toMatchObject({ ok: false, error: { code: 'thread_not_found' } });
    socket.close();
  });

  it.each([
    ['chat', { message: 42 }],
    ['chat', 'just a string'],
    ['chat', null],
    ['subscribe', { thread_id: 'bad id!' }],
    ['subscribe', { thread_id: 'ok', after_seq: -1 }],
    ['approve', { thread_id: 't', interrupt_id: 'i', decision: 'maybe' }],
    ['cancel', { thread_id: 't', run_id: 'not-a-uuid' }],
  ])('%s with %o gets invalid_payload, and the socket keeps working', async (event, payload) => {
    const socket = await connectChat(riser.url, riser.token('picky'));
    expect(await request(socket, event, payload)).toMatchObject({ ok: false, error: { code: 'invalid_payload', message: expect.any(String) } });
    expect(await request(socket, 'subscribe', { thread_id: 'fine' })).toMatchObject({ ok: false, error: { code: 'thread_not_found' } });
    socket.close();
  });
});
