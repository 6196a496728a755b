import { Client } from '@langchain/langgraph-sdk';
import { Redis } from 'ioredis';
import { bearer, connectChat, openSse, request, runMessages, type SseFrame } from '@riser/testing';
import { describeCluster, startCluster, type Cluster } from '../support/cluster.js';
import { until } from '../support/wait.js';
import { readUpTo } from '../support/sse-reading.js';
import { consecutive, ids } from '../support/run-follower.js';

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const dataFrames = (frames: SseFrame[]) => frames.filter((f) => f.data !== undefined);
const pairs = (frames: SseFrame[]) => frames.map((f) => [f.id, f.data]);

jest.setTimeout(120_000);

// Issue 11, acceptance: "A run started on A, rejoined on B at 50 random cursors: every rejoin
// equals the uninterrupted stream, frame for frame. Same through nginx, and over Socket.IO
// connected to B."
describeCluster('cluster rejoin e2e', { nginx: true })('any replica serves any rejoin', () => {
  let cluster: Cluster;
  let A: Cluster['replicas'][number];
  let B: Cluster['replicas'][number];
  let token: string;

  beforeAll(async () => {
    cluster = await startCluster({ replicas: 2, nginx: true, env: { DEMO_TOKEN_DELAY_MS: '20' } });
    [A, B] = cluster.replicas;
    token = cluster.token('rhea');
  });
  afterAll(() => cluster?.destroy());

  /** Starts a run on A and reads it to the end there; `onFrame` sees each frame as it comes. */
  async function runOnA(threadId: string, onFrame: (seen: SseFrame[]) => void = () => undefined) {
    const stream = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: `a reply for ${threadId} to rejoin`, thread_id: threadId } });
    expect(stream.status).toBe(200);
    const seen: SseFrame[] = [];
    for await (const frame of stream.frames()) {
      if (frame.data === undefined) continue;
      seen.push(frame);
      onFrame(seen);
    }
    expect(seen[seen.length - 1].data).toBe('[DONE]');
    // The run's own numbering, not Redis stream ids.
    expect(ids(seen)).toEqual(consecutive(seen.length));
    return { whole: seen, runId: JSON.parse(seen[0].data!).run_id as string };
  }

  const rejoin = async (base: string, threadId: string, runId: string, cursor: number) => {
    const res = await openSse(`${base}/chat/stream?thread_id=${threadId}&run_id=${runId}`, {
      headers: { ...bearer(token), ...(cursor > 0 && { 'last-event-id': String(cursor) }) },
    });
    expect(res.status).toBe(200);
    return dataFrames(await res.collect());
  };

  it('50 rejoins on B at random cursors, while the run streams on A and after: each equals the uninterrupted stream from its cursor', async () => {
    const next = random(11);
    let checked = 0;
    for (let r = 0; checked < 50; r++) {
      const threadId = `cr-b-${r}`;
      const rejoins: Promise<{ cursor: number; frames: SseFrame[] }>[] = [];
      let runId = '';
      const { whole } = await runOnA(threadId, (seen) => {
        if (seen.length === 1) runId = JSON.parse(seen[0].data!).run_id;
        // Live rejoins (the run is still going on A), at a cursor anywhere up to what A sent.
        if (rejoins.length < 10 && next() < 0.5) {
          const cursor = Math.floor(next() * (seen.length + 1));
          rejoins.push(rejoin(B.url, threadId, runId, cursor).then((frames) => ({ cursor, frames })));
        }
      });
      // And some after the end, from the log in Redis.
      while (rejoins.length < 10) {
        const cursor = Math.floor(next() * (whole.length - 1));
        rejoins.push(rejoin(B.url, threadId, runId, cursor).then((frames) => ({ cursor, frames })));
      }
      for (const { cursor, frames } of await Promise.all(rejoins)) {
        expect({ cursor, frames: pairs(frames) }).toEqual({ cursor, frames: pairs(whole.slice(cursor)) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(50);
  });

  it('through nginx (round-robin, no stickiness): a client cut off at random points rejoins wherever it lands, and the pieces are the uninterrupted stream', async () => {
    const next = random(23);
    let cuts = 0;
    for (let r = 0; cuts < 30; r++) {
      const threadId = `cr-ngx-${r}`;
      let stream = await openSse(`${cluster.proxyUrl}/chat/stream`, { headers: bearer(token), body: { message: `through the proxy ${r}`, thread_id: threadId } });
      const got: SseFrame[] = [];
      let runId = '';
      for (;;) {
        expect(stream.status).toBe(200);
        const { ended } = await readUpTo(stream, got, 1 + Math.floor(next() * 4));
        runId ||= JSON.parse(got[0].data!).run_id;
        if (ended) break;
        cuts++;
        stream = await openSse(`${cluster.proxyUrl}/chat/stream?thread_id=${threadId}&run_id=${runId}`, {
          headers: { ...bearer(token), 'last-event-id': got[got.length - 1].id! },
        });
      }
      // The reference, read whole from each replica directly.
      for (const replica of [A, B]) expect(pairs(got)).toEqual(pairs(await rejoin(replica.url, threadId, runId, 0)));
      expect(ids(got)).toEqual(consecutive(got.length));
    }
    // No stickiness: one client's requests were served by both replicas (nginx's access log).
    const served = cluster.proxyLog!().split('\n').filter((l) => l.includes('/chat/stream') && l.includes('cr-ngx-'));
    const upstreams = new Set(served.map((l) => /upstream=(\S+)/.exec(l)?.[1]));
    expect([...upstreams].sort()).toEqual([A, B].map((r) => `127.0.0.1:${r.port}`).sort());
  });

  it('the Platform API: the SDK streaming a run on A, joined with the SDK on B at random Last-Event-IDs, gets the same events (values included)', async () => {
    const next = random(17);
    const sdk = (base: string) => new Client({ apiUrl: base, apiKey: null, defaultHeaders: bearer(token) });
    type Part = { id?: string; event: string; data: unknown };
    const thread = await sdk(A.url).threads.create();
    const modes = ['messages-tuple', 'values', 'updates'] as const;
    const live: Part[] = [];
    for await (const part of sdk(A.url).runs.stream(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'platform join on B' }] }, streamMode: [...modes] }) as AsyncIterable<Part>) live.push(part);
    expect(live[live.length - 1].event).toBe('end');
    const runId = (live[0].data as { run_id: string }).run_id;
    for (let i = 0; i < 5; i++) {
      const cut = i === 0 ? -1 : Math.floor(next() * (live.length - 1));
      const lastEventId = cut < 0 ? '-1' : live[cut].id!;
      const joined: Part[] = [];
      for await (const part of sdk(B.url).runs.joinStream(thread.thread_id, runId, { lastEventId, streamMode: [...modes] }) as AsyncIterable<Part>) joined.push(part);
      const expected = live.slice(cut + 1).filter((p) => p.event !== 'metadata' || cut < 0);
      expect({ lastEventId, joined: joined.map((p) => [p.id, p.event, p.data]) }).toEqual({ lastEventId, joined: expected.map((p) => [p.id, p.event, p.data]) });
    }
  });

  it('over Socket.IO connected to B: subscribe with after_seq to a run on A gets the same frames, exactly once', async () => {
    const next = random(5);
    const watch = (threadId: string, runId: string, cursor: number) => subscribeOn(B.url, token, threadId, runId, cursor);
    for (let r = 0; r < 2; r++) {
      const threadId = `cr-ws-${r}`;
      const watches: Promise<{ cursor: number; seen: Record<string, any>[] }>[] = [];
      let runId = '';
      const { whole } = await runOnA(threadId, (seen) => {
        if (seen.length === 1) runId = JSON.parse(seen[0].data!).run_id;
        if (watches.length < 5 && next() < 0.4) watches.push(watch(threadId, runId, Math.floor(next() * (seen.length + 1))));
      });
      while (watches.length < 5) watches.push(watch(threadId, runId, Math.floor(next() * (whole.length - 1))));
      for (const { cursor, seen } of await Promise.all(watches)) {
        const expected = whole.slice(cursor).map((f) =>
          f.data === '[DONE]' ? { done: true, status: 'success', run_id: runId, seq: Number(f.id) } : { ...JSON.parse(f.data!), run_id: runId, seq: Number(f.id) },
        );
        expect({ cursor, seen }).toEqual({ cursor, seen: expected });
      }
    }
  });
});

/**
 * One `subscribe` per cursor, each on a socket of its own to B (one socket following a run
 * twice would mix both subscriptions' messages).
 */
async function subscribeOn(baseUrl: string, token: string, threadId: string, runId: string, cursor: number) {
  const socket = await connectChat(baseUrl, token, { transports: ['websocket'] });
  try {
    const seen = runMessages(socket, () => runId);
    // Reported through the ack's assertion below, not as an unhandled rejection.
    seen.catch(() => undefined);
    const ack = await request(socket, 'subscribe', { thread_id: threadId, run_id: runId, after_seq: cursor });
    expect(ack).toMatchObject({ ok: true, run_id: runId });
    return { cursor, seen: await seen };
  } finally {
    socket.close();
  }
}

// Issue 11: "A silent run (a long tool call) must not expire its own log while it is still
// running" — the log's TTL counts from the run's end.
describeCluster('cluster rejoin e2e (log TTL)')('a run log in Redis outlives silences longer than its TTL', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // 1.2 s between tokens against a 300 ms TTL.
    cluster = await startCluster({ replicas: 2, env: { DEMO_TOKEN_DELAY_MS: '1200', RUN_LOG_TTL_MS: '300' } });
  });
  afterAll(() => cluster?.destroy());

  it('a rejoin on B after a silence of over 3 TTLs gets the frames after its cursor; after the end, the log leaves Redis', async () => {
    const [A, B] = cluster.replicas;
    const token = cluster.token('tilda');
    const stream = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: 'slow and silent', thread_id: 'cr-ttl' } });
    const head: SseFrame[] = [];
    for await (const frame of stream.frames()) {
      if (frame.data === undefined) continue;
      head.push(frame);
      if (head.length === 2) break;
    }
    stream.close();
    const runId = JSON.parse(head[0].data!).run_id;
    // The silence after the first token (the next is 1.2 s away), past the TTL.
    await new Promise((r) => setTimeout(r, 1000));
    const rejoin = await openSse(`${B.url}/chat/stream?thread_id=cr-ttl&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '1' } });
    const next = dataFrames(await rejoin.collect((f) => f.data !== undefined && Number(f.id) >= 3));
    expect(pairs(next.slice(0, 1))).toEqual(pairs(head.slice(1)));
    expect(JSON.parse(next[1].data!)).toEqual({ content: expect.any(String) });
    // Ends it (cancelled), after which the TTL counts: the run's keys leave Redis (the log's
    // storage; replicas may still hold a copy a few seconds for their own readers).
    // The run's keys, with their type and remaining time (-1: no expiry).
    const keysOf = async () => {
      const redis = new Redis(cluster.redis.url, { lazyConnect: true });
      try {
        await redis.connect();
        const keys = await redis.keys(`*${runId}*`);
        return await Promise.all(keys.map(async (key) => ({ key, type: await redis.type(key), pttl: await redis.pttl(key) })));
      } finally {
        redis.disconnect();
      }
    };
    // Its log is a Redis stream (the issue: one per run).
    expect((await keysOf()).filter((k) => k.type === 'stream')).toHaveLength(1);
    const cancelled = await fetch(`${B.url}/chat/threads/cr-ttl/runs/${runId}/cancel`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: '{}' });
    expect(cancelled.status).toBe(200);
    const left = await until(keysOf, (keys) => !keys.some((k) => k.type === 'stream'), 5000, 100);
    expect(left.filter((k) => k.type === 'stream')).toEqual([]);
    // Whatever else the run left (control keys) expires by itself.
    expect(left.filter((k) => k.pttl < 0)).toEqual([]);
  });
});
