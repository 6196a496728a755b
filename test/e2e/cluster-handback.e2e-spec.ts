import { Client } from '@langchain/langgraph-sdk';
import { bearer, connectChat, openSse, request, runMessages, type Socket } from '@riser/testing';
import { describeCluster, startCluster, type Cluster } from '../support/cluster.js';
import { consecutive } from '../support/run-follower.js';
import { until } from '../support/wait.js';

jest.setTimeout(120_000);

type Part = { id?: string; event: string; data: any };

// Issue 11, "Rolling restart loses nothing", for the two other protocols: on SIGTERM the
// socket gets a `message` with `error: "rejoin"` and the Platform API stream a plain close
// (no `end`/`error`), so the official SDK's own reconnect resumes from its Last-Event-ID;
// clients reconnect through the load balancer and continue exactly.
describeCluster('cluster handback e2e', { nginx: true })('SIGTERM handback over Socket.IO and the Platform API', () => {
  let cluster: Cluster;
  let token: string;

  beforeAll(async () => {
    cluster = await startCluster({ replicas: 2, nginx: true, env: { DEMO_TOKEN_DELAY_MS: '40', SHUTDOWN_GRACE_MS: '200', RUN_LEASE_MS: '2000' } });
    token = cluster.token('hank');
  });
  afterEach(() => cluster?.heal());
  afterAll(() => cluster?.destroy());

  it('a socket on A gets `rejoin` for each run it follows, then is disconnected; subscribed again on B after that seq, it gets the rest exactly once', async () => {
    const [A, B] = cluster.replicas;
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await openSse(`${B.url}/chat/stream`, { headers: bearer(token), body: { message: `socket handback ${i}`, thread_id: `ch-ws-${i}` } });
      runIds.push(JSON.parse((await res.collect((f) => f.id === '1'))[0].data!).run_id);
    }
    const onA = await connectChat(A.url, token, { transports: ['websocket'] });
    const got = new Map<string, Record<string, any>[]>(runIds.map((r) => [r, []]));
    onA.on('message', (m: Record<string, any>) => got.get(m.run_id)?.push(m));
    const disconnected = new Promise<void>((r) => onA.once('disconnect', () => r()));
    for (const [i, runId] of runIds.entries()) expect(await request(onA, 'subscribe', { thread_id: `ch-ws-${i}`, run_id: runId, after_seq: 0 })).toMatchObject({ ok: true });
    await until(async () => [...got.values()].map((ms) => ms.filter((m) => m.content).length), (n) => n.every((c) => c >= 2), 10_000);

    const exited = cluster.terminate(A);
    await disconnected;
    expect(await exited).toEqual({ code: 0, signal: null });

    const onB = await connectChat(B.url, token, { transports: ['websocket'] });
    // Counted before the loop below takes each `rejoin` off its run's messages.
    const rejoined = runIds.filter((r) => got.get(r)!.some((m) => m.error === 'rejoin')).length;
    try {
      for (const [i, runId] of runIds.entries()) {
        const seen = got.get(runId)!;
        const last = seen[seen.length - 1];
        const finished = seen.some((m) => m.done);
        if (!finished) {
          // Told to rejoin, carrying the seq of the last real message.
          expect(last).toEqual({ error: 'rejoin', message: expect.any(String), run_id: runId, seq: seen[seen.length - 2].seq });
          seen.pop();
        }
        const after = finished ? [] : await subscribeRest(onB, `ch-ws-${i}`, runId, seen[seen.length - 1].seq);
        const all = [...seen, ...after];
        expect(all.map((m) => m.seq)).toEqual(consecutive(all.length));
        expect(all[all.length - 1]).toMatchObject({ done: true, status: 'success' });
      }
      // With runs five times longer than the grace, at least one was handed back.
      expect(rejoined).toBeGreaterThan(0);
    } finally {
      onB.close();
    }
  });

  it('the official SDK streaming through nginx: a plain close on SIGTERM, its own reconnect resumes from Last-Event-ID, every event once, one reply', async () => {
    const [A] = cluster.replicas;
    const reconnects: string[] = [];
    const sdk = new Client({
      apiUrl: cluster.proxyUrl,
      apiKey: null,
      defaultHeaders: bearer(token),
      // Counts the SDK's rejoins (GET …/stream with Last-Event-ID).
      onRequest: (url, init) => {
        const headers = new Headers(init.headers);
        if (init.method === 'GET' && headers.get('last-event-id')) reconnects.push(url.pathname);
        return init;
      },
    });
    const threads = await Promise.all(Array.from({ length: 6 }, () => sdk.threads.create()));
    const started: Promise<void>[] = [];
    const streams = threads.map(async (thread, i) => {
      let firstTokens!: () => void;
      started.push(new Promise<void>((r) => (firstTokens = r)));
      const parts: Part[] = [];
      const stream = sdk.runs.stream(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: `platform handback ${i}` }] }, streamMode: ['messages-tuple', 'values'] });
      for await (const part of stream as AsyncIterable<Part>) {
        parts.push(part);
        if (parts.filter((p) => p.event === 'messages').length === 2) firstTokens();
      }
      firstTokens();
      return { thread, parts };
    });
    await Promise.all(started);
    const exited = cluster.terminate(A);
    const results = await Promise.all(streams);
    expect(await exited).toEqual({ code: 0, signal: null });
    // The streams that were on A came back through nginx by the SDK's own reconnect.
    expect(reconnects.length).toBeGreaterThan(0);

    for (const { thread, parts } of results) {
      // Ids are the run's seq (events of modes not asked for leave holes): never repeated, never back.
      const ids = parts.map((p) => Number(p.id));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
      expect(parts.map((p) => p.event)).not.toContain('error');
      expect(parts[parts.length - 1].event).toBe('end');
      const state: any = await sdk.threads.getState(thread.thread_id);
      const reply = state.values.messages.filter((m: any) => m.type === 'ai');
      expect(reply).toHaveLength(1);
      expect(keptTokens(parts)).toBe(reply[0].content);
      // A full replay of the run (any replica, through nginx) is what the client was given.
      const replay: Part[] = [];
      for await (const part of sdk.runs.joinStream(thread.thread_id, parts[0].data.run_id, { lastEventId: '-1', streamMode: ['messages-tuple', 'values'] }) as AsyncIterable<Part>) replay.push(part);
      expect(parts.map((p) => [p.id, p.event, p.data])).toEqual(replay.map((p) => [p.id, p.event, p.data]));
    }
  });
});

/** The text a client shows: `messages` tokens, minus those a takeover's `retry` custom event discards. */
function keptTokens(parts: Part[]): string {
  const kept = new Map<number, string>();
  for (const part of parts) {
    if (part.event === 'custom' && part.data?.retry) for (const id of [...kept.keys()]) if (id >= part.data.retry.discard_from) kept.delete(id);
    if (part.event === 'messages' && typeof part.data[0]?.content === 'string') kept.set(Number(part.id), part.data[0].content);
  }
  return [...kept.values()].join('');
}

/** Subscribes on `socket` after `afterSeq` and resolves with the run's messages to its end. */
async function subscribeRest(socket: Socket, threadId: string, runId: string, afterSeq: number) {
  const rest = runMessages(socket, () => runId);
  rest.catch(() => undefined);
  expect(await request(socket, 'subscribe', { thread_id: threadId, run_id: runId, after_seq: afterSeq })).toMatchObject({ ok: true, run_id: runId });
  return rest;
}
