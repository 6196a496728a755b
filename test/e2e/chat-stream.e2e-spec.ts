import { frameData, openSse } from '@riser/testing';
import { startRiser, type RiserTestApp } from '../support/riser.js';

describe('POST /chat/stream (simple protocol)', () => {
  let riser: RiserTestApp;
  let alice: string;

  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '5' } });
    alice = riser.token('alice', { tenant: 'acme' });
  });
  afterAll(() => riser.destroy());

  const chat = (body: unknown, token = alice) =>
    openSse(`${riser.url}/chat/stream`, { headers: { authorization: `Bearer ${token}` }, body });

  it('streams metadata, content frames with ids 1..n, then [DONE]', async () => {
    const res = await chat({ message: 'hello', thread_id: 'basic-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('cache-control')).toMatch(/no-cache/);
    const frames = (await res.collect()).filter((f) => f.data !== undefined);
    expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => String(i + 1)));
    const data = frameData(frames);
    expect(data[0]).toEqual({ thread_id: 'basic-1', run_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(data[data.length - 1]).toBe('[DONE]');
    const tokens = data.slice(1, -1) as { content: string }[];
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.every((t) => typeof t.content === 'string' && t.content.length > 0)).toBe(true);
    expect(tokens.map((t) => t.content).join('')).toContain('You said "hello"');
  });

  it('delivers tokens progressively, not in one burst at the end', async () => {
    const res = await chat({ message: 'progressive please', thread_id: 'basic-2' });
    const frames = await res.collect();
    const contents = frames.filter((f) => f.data?.startsWith('{"content"'));
    const done = frames.find((f) => f.data === '[DONE]')!;
    // ~20 tokens 5 ms apart: the first arrives well before the run ends.
    expect(done.at - contents[0].at).toBeGreaterThan(40);
    const spread = new Set(contents.map((f) => Math.floor(f.at / 3)));
    expect(spread.size).toBeGreaterThan(5);
  });

  it('creates a thread id when none is sent and reports it in the first frame', async () => {
    const data = frameData(await (await chat({ message: 'no thread' })).collect());
    expect((data[0] as { thread_id: string }).thread_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('remembers the conversation across messages and shows it at GET /chat/threads/:id', async () => {
    await (await chat({ message: 'first thing', thread_id: 'memory-1' })).collect();
    const second = frameData(await (await chat({ message: 'second thing', thread_id: 'memory-1' })).collect());
    const text = (second.slice(1, -1) as { content: string }[]).map((t) => t.content).join('');
    expect(text).toContain('message 2 of our conversation');
    expect(text).toContain('Earlier you said "first thing"');

    const res = await fetch(`${riser.url}/chat/threads/memory-1`, { headers: { authorization: `Bearer ${alice}` } });
    expect(res.status).toBe(200);
    const thread: any = await res.json();
    expect(thread).toMatchObject({ thread_id: 'memory-1', status: 'idle', interrupts: [] });
    expect(thread.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(thread.messages[2]).toMatchObject({ role: 'user', content: 'second thing', id: expect.any(String) });
    expect(thread.messages[3].content).toBe(text);
  });

  it('surfaces an interrupt and leaves the thread interrupted with the pending request', async () => {
    const data = frameData(await (await chat({ message: 'please refund order B-42 $30', thread_id: 'refund-1' })).collect());
    expect(data[data.length - 1]).toBe('[DONE]');
    const interrupt = data[data.length - 2] as { interrupt: boolean; interrupts: { id: string; value: any }[] };
    expect(interrupt.interrupt).toBe(true);
    expect(interrupt.interrupts).toHaveLength(1);
    expect(interrupt.interrupts[0].value).toMatchObject({ action: 'issue_refund', args: { order_id: 'B-42', amount: 30 } });

    const thread: any = await (await fetch(`${riser.url}/chat/threads/refund-1`, { headers: { authorization: `Bearer ${alice}` } })).json();
    expect(thread.status).toBe('interrupted');
    expect(thread.interrupts).toEqual([{ id: interrupt.interrupts[0].id, value: interrupt.interrupts[0].value }]);
  });
});
