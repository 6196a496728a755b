import net from 'node:net';
import { bearer, connectChat, frameData, jsonClient, openSse, request, runMessages, type SseFrame } from '@riser/testing';
import { queryDb } from '../support/db.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';
import { readUpTo } from '../support/sse-reading.js';

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const dataFrames = (frames: SseFrame[]) => frames.filter((f) => f.data !== undefined);

describe('rejoin: every reconnect is exact', () => {
  let riser: RiserTestApp;
  let token: string;

  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '3' } });
    token = riser.token('rita');
  });
  afterAll(() => riser.destroy());

  it('200 random disconnect/rejoin points: the pieces add up to the uninterrupted stream', async () => {
    const next = random(7);
    let points = 0;
    for (let r = 0; points < 200; r++) {
      const threadId = `rejoin-${r}`;
      const first = await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: `run number ${r} goes here`, thread_id: threadId } });
      const got: SseFrame[] = [];
      let runId = '';
      let stream = first;
      for (;;) {
        const { ended } = await readUpTo(stream, got, 1 + Math.floor(next() * 4));
        runId ||= JSON.parse(got[0].data!).run_id;
        if (ended) break;
        points++;
        const last = got[got.length - 1].id!;
        // Half the rejoins send the header, half the query parameter (for clients that cannot).
        stream =
          points % 2
            ? await openSse(`${riser.url}/chat/stream?thread_id=${threadId}&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': last } })
            : await openSse(`${riser.url}/chat/stream?thread_id=${threadId}&run_id=${runId}&last_event_id=${last}`, { headers: bearer(token) });
        expect(stream.status).toBe(200);
      }
      const whole = dataFrames(await (await openSse(`${riser.url}/chat/stream?thread_id=${threadId}&run_id=${runId}`, { headers: bearer(token) })).collect());
      expect(got.map((f) => [f.id, f.data])).toEqual(whole.map((f) => [f.id, f.data]));
      expect(whole.map((f) => Number(f.id))).toEqual(whole.map((_, i) => i + 1));
      expect(whole[whole.length - 1].data).toBe('[DONE]');
    }
    expect(points).toBeGreaterThanOrEqual(200);
  });

  it('a rejoin after [DONE] answers 204, so an EventSource stops reconnecting', async () => {
    const frames = dataFrames(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'short', thread_id: 'done-204' } })).collect());
    const res = await fetch(`${riser.url}/chat/stream?thread_id=done-204`, { headers: { ...bearer(token), 'last-event-id': frames[frames.length - 1].id! } });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('rejoins, over SSE, a run started over Socket.IO — and subscribes over Socket.IO to one started over SSE', async () => {
    const socket = await connectChat(riser.url, token);
    let runId: string | undefined;
    const overSocket = runMessages(socket, () => runId);
    runId = (await request(socket, 'chat', { message: 'started on a socket', thread_id: 'x-1' })).run_id;
    const socketSaw = await overSocket;
    const sse = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=x-1&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '2' } })).collect());
    expect(sse.slice(0, -1)).toEqual(socketSaw.slice(2, -1).map((m) => ({ content: m.content })));

    const viaSse = dataFrames(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'started over SSE', thread_id: 'x-2' } })).collect());
    const sseRun = JSON.parse(viaSse[0].data!).run_id;
    let watched: string | undefined;
    const subscribed = runMessages(socket, () => watched);
    const ack = await request(socket, 'subscribe', { thread_id: 'x-2', run_id: sseRun, after_seq: 3 });
    expect(ack).toMatchObject({ ok: true, run_id: sseRun });
    watched = sseRun;
    const seen = await subscribed;
    expect(seen.map((m) => m.seq)).toEqual(viaSse.slice(3).map((f) => Number(f.id)));
    expect(seen.filter((m) => m.content).map((m) => m.content)).toEqual(viaSse.slice(3, -1).map((f) => JSON.parse(f.data!).content));
    socket.close();
  });

  it('rejoins the thread’s latest run when run_id is omitted', async () => {
    const frames = dataFrames(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'latest', thread_id: 'latest-1' } })).collect());
    const rejoin = dataFrames(await (await openSse(`${riser.url}/chat/stream?thread_id=latest-1`, { headers: bearer(token) })).collect());
    expect(rejoin.map((f) => f.data)).toEqual(frames.map((f) => f.data));
  });
});

describe('retention', () => {
  it('a cursor that fell off the log gets one replay_gap frame, then what is kept; the thread stays readable', async () => {
    const riser = await startRiser({ env: { RUN_LOG_MAX_EVENTS: '10', RUN_LOG_TTL_MS: '400' } });
    try {
      const token = riser.token('tess');
      const all = dataFrames(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'a reply longer than ten frames', thread_id: 'ret-1' } })).collect());
      expect(all.length).toBeGreaterThan(12);
      const runId = JSON.parse(all[0].data!).run_id;
      const rejoin = dataFrames(await (await openSse(`${riser.url}/chat/stream?thread_id=ret-1&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '2' } })).collect());
      expect(rejoin[0]).toMatchObject({ id: '2', data: JSON.stringify({ error: 'replay_gap', message: rejoin[0].data && JSON.parse(rejoin[0].data).message }) });
      expect(rejoin.slice(1).map((f) => f.id)).toEqual(all.slice(-10).map((f) => f.id));
      // After the retention time the run's events are gone, its result is not.
      await new Promise((r) => setTimeout(r, 600));
      const late = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=ret-1&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '5' } })).collect());
      expect(late).toEqual([{ error: 'replay_gap', message: expect.any(String) }, '[DONE]']);
      const thread = await jsonClient(riser.url, bearer(token)).get('/chat/threads/ret-1');
      expect(thread.body.messages[1].content).toContain('a reply longer than ten frames');
      const done = await fetch(`${riser.url}/chat/stream?thread_id=ret-1&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': all[all.length - 1].id! } });
      expect(done.status).toBe(204);
    } finally {
      await riser.destroy();
    }
  });
});

describe('on_disconnect', () => {
  let riser: RiserTestApp;
  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '60' } });
  });
  afterAll(() => riser.destroy());

  async function leaveAfterTwoTokens(body: object) {
    const token = riser.token('olga');
    const stream = await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body });
    let runId = '';
    let tokens = 0;
    for await (const frame of stream.frames()) {
      if (frame.id === '1') runId = JSON.parse(frame.data!).run_id;
      if (frame.data?.startsWith('{"content"') && ++tokens === 2) break;
    }
    stream.close();
    return { runId, api: jsonClient(riser.url, bearer(token)) };
  }

  const statusOf = async (runId: string) => {
    for (let i = 0; i < 100; i++) {
      const [row] = await queryDb(riser.databaseUrl, 'SELECT status, error_code FROM riser.runs WHERE run_id = $1', [runId]);
      if (row.status !== 'running') return row;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { status: 'running' };
  };

  it('cancel: the run is aborted when its last client leaves', async () => {
    const { runId, api } = await leaveAfterTwoTokens({ message: 'go away', thread_id: 'od-cancel', on_disconnect: 'cancel' });
    expect(await statusOf(runId)).toEqual({ status: 'cancelled', error_code: 'cancelled' });
    const thread = await api.get('/chat/threads/od-cancel');
    expect(thread.body.status).toBe('idle');
    expect(thread.body.messages.map((m: any) => m.role)).toEqual(['user']);
  });

  it('continue (the default): the run completes and is checkpointed with nobody listening', async () => {
    const { runId, api } = await leaveAfterTwoTokens({ message: 'keep going', thread_id: 'od-continue', on_disconnect: 'continue' });
    expect(await statusOf(runId)).toEqual({ status: 'success', error_code: null });
    const thread = await api.get('/chat/threads/od-continue');
    expect(thread.body.messages[1].content).toMatch(/You said "keep going".*conversation\.$/);
  });
});

describe('multitask strategies on a busy thread', () => {
  let riser: RiserTestApp;
  let token: string;
  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '25' } });
    token = riser.token('mona');
  });
  afterAll(() => riser.destroy());

  const chat = (body: object) => openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body });
  const thread = async (id: string) => (await jsonClient(riser.url, bearer(token)).get(`/chat/threads/${id}`)).body;
  // Reads up to the first token without closing the stream (a `break` out of for-await would).
  const untilFirstToken = async (stream: Awaited<ReturnType<typeof chat>>) => {
    const frames: SseFrame[] = [];
    const it = stream.frames();
    for (let next = await it.next(); !next.done; next = await it.next()) {
      frames.push(next.value);
      if (next.value.data?.startsWith('{"content"')) break;
    }
    return { frames, rest: it };
  };
  const drain = async (rest: AsyncGenerator<SseFrame>, frames: SseFrame[]) => {
    for await (const frame of rest) frames.push(frame);
    return frameData(frames);
  };

  it('reject (default): 409 thread_busy', async () => {
    const first = await chat({ message: 'one', thread_id: 'mt-reject' });
    const { frames, rest } = await untilFirstToken(first);
    const second = await fetch(`${riser.url}/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ message: 'two', thread_id: 'mt-reject', multitask_strategy: 'reject' }),
    });
    expect(second.status).toBe(409);
    await drain(rest, frames);
    expect((await thread('mt-reject')).messages.map((m: any) => m.content)).toEqual(['one', expect.stringContaining('You said "one"')]);
  });

  it('enqueue: the second run waits, then runs after the first, in order', async () => {
    const first = await chat({ message: 'first', thread_id: 'mt-enqueue' });
    const { frames, rest } = await untilFirstToken(first);
    const second = await chat({ message: 'second', thread_id: 'mt-enqueue', multitask_strategy: 'enqueue' });
    const third = await chat({ message: 'third', thread_id: 'mt-enqueue', multitask_strategy: 'enqueue' });
    const [a, b, c] = await Promise.all([drain(rest, frames), second.collect().then(frameData), third.collect().then(frameData)]);
    for (const d of [a, b, c]) expect(d[d.length - 1]).toBe('[DONE]');
    const view = await thread('mt-enqueue');
    expect(view.messages.map((m: any) => m.content)).toEqual([
      'first',
      expect.stringContaining('You said "first"'),
      'second',
      expect.stringContaining('message 2 of our conversation'),
      'third',
      expect.stringContaining('message 3 of our conversation'),
    ]);
    expect(view.status).toBe('idle');
  });

  it('interrupt: stops the current run, keeps its progress, runs the new one', async () => {
    const first = await chat({ message: 'will be interrupted', thread_id: 'mt-interrupt' });
    const { frames, rest } = await untilFirstToken(first);
    const second = frameData(await (await chat({ message: 'take over', thread_id: 'mt-interrupt', multitask_strategy: 'interrupt' })).collect());
    const firstData = await drain(rest, frames);
    expect(firstData.slice(-2)).toEqual([{ error: 'interrupted', message: expect.any(String) }, '[DONE]']);
    expect(second[second.length - 1]).toBe('[DONE]');
    const view = await thread('mt-interrupt');
    // The first run's input stays; its unfinished answer never reached a checkpoint.
    expect(view.messages.map((m: any) => m.content)).toEqual(['will be interrupted', 'take over', expect.stringContaining('message 2 of our conversation')]);
    const runs = await queryDb(riser.databaseUrl, 'SELECT status FROM riser.runs WHERE thread_id = $1 ORDER BY created_at', ['mt-interrupt']);
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'success']);
  });

  it('rollback: stops the current run and discards its progress', async () => {
    await (await chat({ message: 'kept', thread_id: 'mt-rollback' })).collect();
    const first = await chat({ message: 'to be rolled back', thread_id: 'mt-rollback' });
    const { frames, rest } = await untilFirstToken(first);
    const second = frameData(await (await chat({ message: 'instead', thread_id: 'mt-rollback', multitask_strategy: 'rollback' })).collect());
    const firstData = await drain(rest, frames);
    expect(firstData.slice(-2)).toEqual([{ error: 'rolled_back', message: expect.any(String) }, '[DONE]']);
    expect(second[second.length - 1]).toBe('[DONE]');
    const view = await thread('mt-rollback');
    expect(view.messages.map((m: any) => m.content)).toEqual([
      'kept',
      expect.stringContaining('You said "kept"'),
      'instead',
      expect.stringContaining('message 2 of our conversation'),
    ]);
  });
});

describe('write coalescing', () => {
  it('frames ready in the same tick leave in one write per connection', async () => {
    const riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '0' } });
    const proto = net.Socket.prototype as unknown as { _writev: Function; _write: Function };
    const writes = new Map<net.Socket, number>();
    const count = (original: Function) =>
      function (this: net.Socket, ...args: unknown[]) {
        if ((this as unknown as { server?: unknown }).server) writes.set(this, (writes.get(this) ?? 0) + 1);
        return original.apply(this, args);
      };
    const { _writev, _write } = proto;
    proto._writev = count(_writev);
    proto._write = count(_write);
    try {
      const frames = dataFrames(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(riser.token('wes')), body: { message: 'coalesce me' } })).collect());
      expect(frames.length).toBeGreaterThan(20);
      const perConnection = [...writes.values()];
      expect(Math.max(...perConnection)).toBeLessThan(frames.length / 4);
    } finally {
      proto._writev = _writev;
      proto._write = _write;
      await riser.destroy();
    }
  });
});
