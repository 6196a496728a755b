import { resolve } from 'node:path';
import { bearer, frameData, jsonClient, openSse } from '@riser/testing';
import { startRiser, type RiserTestApp } from '../support/riser.js';
import { until } from '../support/wait.js';


describe('runs: concurrency, timeouts, failures, heartbeats, disconnects, restarts', () => {
  let riser: RiserTestApp;
  let token: string;
  let api: ReturnType<typeof jsonClient>;

  beforeAll(async () => {
    riser = await startRiser({
      env: {
        DEMO_TOKEN_DELAY_MS: '2',
        LANGGRAPH_JSON: resolve(__dirname, '../fixtures/langgraph.json'),
        DB_POOL_MAX: '20',
      },
    });
    token = riser.token('dana', { tenant: 'acme' });
    api = jsonClient(riser.url, bearer(token));
  });
  afterAll(() => riser.destroy());

  const chat = (body: object, t = token) => openSse(`${riser.url}/chat/stream`, { headers: bearer(t), body });
  const text = (data: unknown[]) => (data.filter((d) => typeof d === 'object' && d && 'content' in d) as { content: string }[]).map((d) => d.content).join('');

  it('50 concurrent streams each get every token of their own reply, then [DONE]', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const frames = await (await chat({ message: `concurrent ${i}`, thread_id: `c50-${i}` })).collect();
        return { i, frames };
      }),
    );
    for (const { i, frames } of results) {
      const data = frameData(frames);
      expect(data[data.length - 1]).toBe('[DONE]');
      expect(data.some((d) => typeof d === 'object' && d && 'error' in d)).toBe(false);
      const ids = frames.filter((f) => f.data !== undefined).map((f) => Number(f.id));
      expect(ids).toEqual(ids.map((_, k) => k + 1));
      const thread = await api.get(`/chat/threads/c50-${i}`);
      const reply = thread.body.messages[1].content;
      expect(reply).toContain(`You said "concurrent ${i}"`);
      expect(text(data)).toBe(reply);
    }
  });

  it('a run over its timeout is aborted: {"error":"timeout"} then [DONE], and the thread stays usable', async () => {
    const data = frameData(await (await chat({ message: 'slow', thread_id: 'timeout-1', timeout_ms: 1 })).collect());
    expect(data[data.length - 2]).toEqual({ error: 'timeout', message: expect.any(String) });
    expect(data[data.length - 1]).toBe('[DONE]');
    const thread = await api.get('/chat/threads/timeout-1');
    expect(thread.body.status).toBe('error');
    const again = frameData(await (await chat({ message: 'after the timeout', thread_id: 'timeout-1' })).collect());
    expect(again[again.length - 1]).toBe('[DONE]');
    expect(text(again)).toContain('after the timeout');
  });

  it('a failing graph ends with one error frame and [DONE]: its exception, credentials redacted, no stack', async () => {
    const frames = await (await chat({ message: 'go', thread_id: 'fail-1', assistant_id: 'failing' })).collect();
    const data = frameData(frames);
    expect(data).toHaveLength(3);
    expect(data[1]).toEqual({ error: 'graph_error', message: expect.any(String) });
    expect(data[2]).toBe('[DONE]');
    // The exception's class and message (as the Platform API's, like the official server's), credentials redacted; no stack.
    expect((data[1] as { message: string }).message).toBe('Error: boom: could not reach postgres://[redacted]');
    expect(JSON.stringify(data)).not.toMatch(/hunter2|db\.internal|at \w+/);
    expect((await api.get('/chat/threads/fail-1')).body.status).toBe('error');
  });

  it('runs graphs from langgraph.json: a factory per run, an uncompiled StateGraph', async () => {
    await (await chat({ message: 'hi', thread_id: 'factory-1', assistant_id: 'echo_factory' })).collect();
    const factory = await api.get('/chat/threads/factory-1');
    expect(factory.body.messages[1].content).toBe('factory graph for factory-1');
    const data = frameData(await (await chat({ message: 'compile me', thread_id: 'uncompiled-1', assistant_id: 'uncompiled' })).collect());
    expect(text(data)).toContain('You said "compile me"');
  });

  it('passes config.configurable to the graph, but never lets it replace the thread', async () => {
    await (await chat({ message: 'hi', thread_id: 'cfg-1', assistant_id: 'configurable', config: { configurable: { greeting: 'hola', thread_id: 'other' } } })).collect();
    const thread = await api.get('/chat/threads/cfg-1');
    expect(thread.body.messages[1].content).toBe('greeting=hola thread=cfg-1');
    const bad = await fetch(`${riser.url}/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ message: 'hi', config: { configurable: 'nope' } }),
    });
    expect(bad.status).toBe(400);
  });

  it('the client leaving mid-stream does not stop the run: the thread gets the whole answer', async () => {
    const res = await chat({ message: 'I will hang up', thread_id: 'leave-1' });
    let seen = 0;
    for await (const frame of res.frames()) {
      if (frame.data?.startsWith('{"content"') && ++seen === 2) break;
    }
    res.close();
    const thread = await until(() => api.get('/chat/threads/leave-1'), (t) => t.body.status === 'idle' && t.body.messages.length === 2);
    expect(thread.body.messages[1].content).toMatch(/You said "I will hang up".*conversation\.$/);
  });
});

describe('heartbeats on an idle stream', () => {
  it.each([
    ['comment', (f: { comment?: string; id?: string; data?: string }) => f.comment === 'heartbeat' && f.id === undefined && f.data === undefined],
    ['data', (f: { comment?: string; id?: string; data?: string }) => f.data === '{"heartbeat":true}' && f.id !== undefined],
  ])('style %s', async (style, isHeartbeat) => {
    const riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '250', SSE_HEARTBEAT_MS: '100', SSE_HEARTBEAT_STYLE: style } });
    try {
      const res = await openSse(`${riser.url}/chat/stream`, { headers: bearer(riser.token('eve')), body: { message: 'slowly' } });
      const frames = await res.collect((f) => f.data?.startsWith('{"content"') === true && f.id === '4');
      const beats = frames.filter(isHeartbeat);
      expect(beats.length).toBeGreaterThanOrEqual(3);
      if (style === 'data') {
        // A data heartbeat repeats the id of the frame before it: Last-Event-ID never moves.
        for (const beat of beats) {
          const before = frames[frames.indexOf(beat) - 1];
          expect(beat.id).toBe(before.id);
        }
      }
      const ids = frames.filter((f) => f.data !== undefined && !isHeartbeat(f)).map((f) => f.id);
      expect(ids).toEqual(['1', '2', '3', '4']);
    } finally {
      await riser.destroy();
    }
  });
});

describe('memory across a restart on the same database', () => {
  it('continues the conversation after the app is closed and started again', async () => {
    const first = await startRiser();
    const token = first.token('frank');
    await (await openSse(`${first.url}/chat/stream`, { headers: bearer(token), body: { message: 'remember me', thread_id: 'restart-1' } })).collect();
    await first.close();

    const second = await startRiser({ databaseUrl: first.databaseUrl, env: { JWT_SECRET: first.env.JWT_SECRET } });
    try {
      const data = frameData(await (await openSse(`${second.url}/chat/stream`, { headers: bearer(token), body: { message: 'who am I?', thread_id: 'restart-1' } })).collect());
      const reply = (data.slice(1, -1) as { content: string }[]).map((d) => d.content).join('');
      expect(reply).toContain('message 2 of our conversation');
      expect(reply).toContain('Earlier you said "remember me"');
      const thread = await jsonClient(second.url, bearer(token)).get('/chat/threads/restart-1');
      expect(thread.body.messages).toHaveLength(4);
    } finally {
      await second.destroy();
    }
  });
});
