import { connectChat, jsonClient, bearer, nextEvent, request, runMessages, type Socket } from '@riser/testing';
import { ChatGateway } from '../../src/ws/chat.gateway.js';
import { startRiserWithApp } from '../support/riser.js';

/**
 * A socket lives no longer than its token: at `exp` the server stops sending, emits one
 * `auth.expired` and disconnects; a refreshed token extends it and replaces its roles; and
 * the gateway forgets the threads nobody follows any more.
 */
describe('sockets and the tokens they hold', () => {
  let riser: Awaited<ReturnType<typeof startRiserWithApp>>;
  const sockets: Socket[] = [];
  const connect = async (token: string) => {
    const socket = await connectChat(riser.url, token);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    riser = await startRiserWithApp({ env: { DEMO_TOKEN_DELAY_MS: '150' } });
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => riser.destroy());

  it('at exp, mid-run: no more messages, one auth.expired, a server disconnect; the run goes on', async () => {
    const socket = await connect(riser.token('short', { ttl: 2 }));
    const received: { event: string; payload: any }[] = [];
    socket.onAny((event, payload) => received.push({ event, payload }));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const ack = await request(socket, 'chat', { message: 'a long answer please', thread_id: 'expiring-1' });
    expect(ack).toMatchObject({ ok: true });

    expect(await disconnected).toBe('io server disconnect');
    const expired = received.filter((r) => r.event === 'auth.expired');
    expect(expired).toHaveLength(1);
    expect(expired[0].payload).toMatchObject({ code: 'token_expired' });
    expect(received[received.length - 1].event).toBe('auth.expired');
    const messages = received.filter((r) => r.event === 'message');
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.some((m) => m.payload.done)).toBe(false);
    // It no longer follows the thread: the gateway holds nothing for it.
    const followers = (riser.app.get(ChatGateway) as unknown as { followers: Map<string, unknown> }).followers;
    expect(followers.has('expiring-1')).toBe(false);

    // The run was not the socket's: it finishes, and its owner reads the whole answer.
    const http = jsonClient(riser.url, bearer(riser.token('short')));
    for (;;) {
      const thread = (await http.get('/chat/threads/expiring-1')).body;
      if (thread.status === 'idle') {
        expect(thread.messages).toHaveLength(2);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('a token refreshed before exp keeps the socket; another principal’s token is refused', async () => {
    const socket = await connect(riser.token('refresh', { ttl: 2 }));
    const expired = nextEvent(socket, 'auth.expired', () => true, 3500).then(() => 'expired', () => 'still here');
    const refreshed = await request(socket, 'auth', { token: riser.token('refresh', { ttl: 3600 }) });
    expect(refreshed).toMatchObject({ ok: true, expires_at: expect.any(Number) });
    expect(await expired).toBe('still here');
    expect(socket.connected).toBe(true);
    expect(await request(socket, 'subscribe', { thread_id: 'none-yet' })).toMatchObject({ ok: false, error: { code: 'thread_not_found' } });
    expect(await request(socket, 'auth', { token: riser.token('someone-else') })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await request(socket, 'auth', { token: riser.token('refresh', { ttl: -10 }) })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('a refresh with fewer roles leaves the approvers’ room', async () => {
    const alice = await connect(riser.token('alice', { tenant: 'acme' }));
    const carol = await connect(riser.token('carol', { tenant: 'acme', roles: ['approver'] }));
    const carolGot: unknown[] = [];
    carol.on('approval.requested', (e) => carolGot.push(e));

    const first = nextEvent(alice, 'approval.requested', (e: any) => e.thread_id === 'roles-1');
    expect(await request(alice, 'chat', { message: 'please refund order A-1 $10', thread_id: 'roles-1' })).toMatchObject({ ok: true });
    await first;
    // An ack on carol's socket comes after any event sent to it before: she has had hers.
    await request(carol, 'subscribe', { thread_id: 'nothing-here' });
    expect(carolGot).toHaveLength(1);

    expect(await request(carol, 'auth', { token: riser.token('carol', { tenant: 'acme', roles: [] }) })).toMatchObject({ ok: true });
    const second = nextEvent(alice, 'approval.requested', (e: any) => e.thread_id === 'roles-2');
    expect(await request(alice, 'chat', { message: 'please refund order A-2 $10', thread_id: 'roles-2' })).toMatchObject({ ok: true });
    await second;
    await request(carol, 'subscribe', { thread_id: 'nothing-here' });
    expect(carolGot).toHaveLength(1);
  });

  it('forgets the threads nobody follows any more', async () => {
    const followers = (riser.app.get(ChatGateway) as unknown as { followers: Map<string, unknown> }).followers;
    const http = jsonClient(riser.url, bearer(riser.token('fan')));
    const socket = await connect(riser.token('fan'));
    for (let i = 0; i < 6; i++) {
      expect((await http.post('/threads', { thread_id: `fan-${i}` })).status).toBe(200);
      expect(await request(socket, 'subscribe', { thread_id: `fan-${i}` })).toMatchObject({ ok: true });
    }
    expect([...followers.keys()].filter((t) => t.startsWith('fan-'))).toHaveLength(6);
    for (let i = 0; i < 3; i++) await request(socket, 'unsubscribe', { thread_id: `fan-${i}` });
    expect([...followers.keys()].filter((t) => t.startsWith('fan-'))).toEqual(['fan-3', 'fan-4', 'fan-5']);
    const gone = new Promise((resolve) => socket.once('disconnect', resolve));
    socket.close();
    await gone;
    for (let i = 0; i < 50 && [...followers.keys()].some((t) => t.startsWith('fan-')); i++) await new Promise((r) => setTimeout(r, 20));
    expect([...followers.keys()].filter((t) => t.startsWith('fan-'))).toEqual([]);
  });
});
