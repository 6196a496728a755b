import { Client } from '@langchain/langgraph-sdk';
import { bearer, connectChat, jsonClient, openSse, request, type Socket, type SseFrame } from '@riser/testing';
import { describeCluster, startCluster, type Cluster, type Replica } from '../support/cluster.js';
import { queryDb } from '../support/db.js';
import { consecutive, followRun, ids, keptText } from '../support/run-follower.js';
import { isContent, readUntil, tokensSeen } from '../support/sse-reading.js';
import { until } from '../support/wait.js';

jest.setTimeout(120_000);

const LEASE_MS = 2000;
const REPLY = (said: string) => `Hello! You said "${said}". I am Riser's demo agent, streaming this reply word by word. This is message 1 of our conversation.`;
const pairs = (frames: SseFrame[]) => frames.map((f) => [f.id, f.data]);
const retryFrames = (frames: SseFrame[]) => frames.filter((f) => f.data?.startsWith('{"retry"')).map((f) => ({ id: Number(f.id), ...JSON.parse(f.data!) }));

// Issue 11, acceptance: "kill -9 of the replica executing a run in the middle of its tokens:
// another replica resumes it from the checkpoint within RUN_LEASE_MS + 5 s; a client that
// follows it through nginx ends with [DONE], the thread holds one complete reply, and the run
// shows 2 attempts. A replica frozen with SIGSTOP past its lease does not write after it is
// resumed with SIGCONT (fencing)."
describeCluster('cluster failover e2e', { nginx: true })('a replica that dies or freezes loses no run', () => {
  let cluster: Cluster;
  let token: string;

  beforeAll(async () => {
    // ~25 tokens 50 ms apart: a run lasts over a second, so it can be cut mid-tokens.
    cluster = await startCluster({
      replicas: 2,
      nginx: true,
      env: { DEMO_TOKEN_DELAY_MS: '50', RUN_LEASE_MS: String(LEASE_MS), RUN_MAX_ATTEMPTS: '2', SSE_HEARTBEAT_MS: '500' },
    });
    token = cluster.token('fran');
  });
  afterEach(() => cluster?.heal());
  afterAll(() => cluster?.destroy());

  const api = (base: string) => jsonClient(base, bearer(token));
  /** A socket on `replica` subscribed to the run from its start; `messages` resolves at its end. */
  const watch = async (replica: Replica, threadId: string, runId: string) => {
    const socket = await connectChat(replica.url, token, { transports: ['websocket'] });
    // No timer of its own (the victim's never ends): the test's timeout bounds the survivor's.
    const messages = new Promise<Record<string, any>[]>((resolve) => {
      const all: Record<string, any>[] = [];
      socket.on('message', (m: Record<string, any>) => {
        if (m.run_id !== runId) return;
        all.push(m);
        if (m.done) resolve(all);
      });
    });
    const ack = await request(socket, 'subscribe', { thread_id: threadId, run_id: runId, after_seq: 0 }).catch((err) => ({ ok: false, err }));
    if (!ack.ok) {
      socket.close();
      throw new Error(`subscribe on ${replica.name}: ${JSON.stringify(ack)}`);
    }
    return { replica, socket, messages };
  };
  const other = (replica: Replica) => cluster.replicas.find((r) => r !== replica)!;
  const checkpointRows = async (threadId: string) =>
    (
      await queryDb(
        cluster.databaseUrl,
        `SELECT (SELECT count(*) FROM riser.checkpoints WHERE thread_id = $1)::int AS checkpoints,
                (SELECT count(*) FROM riser.checkpoint_writes WHERE thread_id = $1)::int AS writes,
                (SELECT count(*) FROM riser.checkpoint_blobs WHERE thread_id = $1)::int AS blobs`,
        [threadId],
      )
    )[0];

  it('kill -9 of the executing replica mid-tokens: resumed elsewhere within the lease + 5 s; the client through nginx ends with [DONE] and one complete reply, a socket on the survivor sees the retry; attempt 2', async () => {
    const said = 'survive a crash';
    const first = await openSse(`${cluster.proxyUrl}/chat/stream`, { headers: bearer(token), body: { message: said, thread_id: 'cf-kill' } });
    expect(first.status).toBe(200);
    let killed: Promise<{ at: number; victim: Replica }> | undefined;
    // A socket on each replica follows the run too: the survivor's must see the takeover.
    type Watcher = { replica: Replica; socket: Socket; messages: Promise<Record<string, any>[]> };
    let watchers: Promise<(Watcher | undefined)[]> | undefined;
    const followed = await followRun(cluster.proxyUrl!, token, first, {
      onFrame: (frame, so) => {
        if (!watchers && so.runId) {
          // The victim's may not get to subscribe before the kill; only the survivor's counts.
          watchers = Promise.all(cluster.replicas.map((replica) => watch(replica, so.threadId, so.runId).catch(() => undefined)));
        }
        if (killed || !isContent(frame) || so.frames.filter(isContent).length < 3) return;
        killed = cluster.executorOf(so.runId).then(async (victim) => {
          expect(victim).toBeDefined();
          const at = Date.now();
          await cluster.kill(victim!);
          return { at, victim: victim! };
        });
        // Its failure is reported where it is awaited, below.
        killed.catch(() => undefined);
      },
    });
    const { at: killedAt, victim } = await killed!;
    const survivor = other(victim);

    // Every frame once, numbered by the run, ending with [DONE] — whatever the client reconnected to.
    expect(followed.frames[followed.frames.length - 1].data).toBe('[DONE]');
    expect(ids(followed.frames)).toEqual(consecutive(followed.frames.length));
    const retries = retryFrames(followed.frames);
    expect(retries).toEqual([{ id: expect.any(Number), retry: { attempt: 2, discard_from: expect.any(Number) } }]);
    expect(retries[0].retry.discard_from).toBeGreaterThan(1);
    expect(retries[0].retry.discard_from).toBeLessThanOrEqual(retries[0].id);
    expect(followed.retryAt[0] - killedAt).toBeLessThan(LEASE_MS + 5000);
    // The demo agent answers in one model call, checkpointed only before and after it: the
    // resumed attempt says the whole reply again, so the retry discards from the first token.
    // A client then shows one complete copy.
    const firstToken = Number(followed.frames.find(isContent)!.id);
    expect({ discard_from: retries[0].retry.discard_from, text: followed.text }).toEqual({ discard_from: firstToken, text: REPLY(said) });
    // The survivor serves the same log, frame for frame.
    const whole = (await (await openSse(`${survivor.url}/chat/stream?thread_id=cf-kill&run_id=${followed.runId}`, { headers: bearer(token) })).collect()).filter((f) => f.data !== undefined);
    expect(pairs(whole)).toEqual(pairs(followed.frames));

    const onSurvivor = (await watchers!).find((w) => w?.replica === survivor);
    expect(onSurvivor).toBeDefined();
    const socketSaw = await onSurvivor!.messages;
    for (const w of await watchers!) w?.socket.close();
    expect(socketSaw).toEqual(
      followed.frames.map((f) => (f.data === '[DONE]' ? { done: true, status: 'success', run_id: followed.runId, seq: Number(f.id) } : { ...JSON.parse(f.data!), run_id: followed.runId, seq: Number(f.id) })),
    );

    const view = (await api(survivor.url).get('/chat/threads/cf-kill')).body;
    expect(view.messages.map((m: any) => m.content)).toEqual([said, REPLY(said)]);
    expect(view.status).toBe('idle');
    expect(view.latest_run).toEqual({ run_id: followed.runId, status: 'success', attempt: 2 });
    const sdk = new Client({ apiUrl: survivor.url, apiKey: null, defaultHeaders: bearer(token) });
    const run = await sdk.runs.get('cf-kill', followed.runId);
    expect(run.status).toBe('success');
    expect(run.metadata).toMatchObject({ attempt: 2 });
  });

  it('SIGSTOP past the lease, then SIGCONT: the frozen replica writes nothing more (fencing); the run completes once', async () => {
    const said = 'freeze and thaw';
    const [A] = cluster.replicas;
    const stream = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: said, thread_id: 'cf-freeze' } });
    const head = await readUntil(stream, tokensSeen(3));
    const runId = JSON.parse(head.frames[0].data!).run_id as string;
    stream.close();
    const frozen = (await cluster.executorOf(runId))!;
    expect(frozen).toBeDefined();
    const survivor = other(frozen);
    // A client reading on the replica that will freeze: whatever it is shown after the thaw
    // must be frames of the run's one log, not of the attempt that lost its lease.
    const onFrozen = await readUntil(
      await openSse(`${frozen.url}/chat/stream?thread_id=cf-freeze&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '1' } }),
      () => true,
    );
    cluster.freeze(frozen);
    try {
      const taken = await until(() => api(survivor.url).get('/chat/threads/cf-freeze'), (r) => r.body.latest_run?.attempt === 2, LEASE_MS + 5000, 100);
      expect(taken.body.latest_run).toMatchObject({ run_id: runId, attempt: 2 });
      const done = await until(() => api(survivor.url).get('/chat/threads/cf-freeze'), (r) => r.body.latest_run?.status !== 'running', 30_000, 100);
      expect(done.body.latest_run).toEqual({ run_id: runId, status: 'success', attempt: 2 });
    } finally {
      cluster.thaw(frozen);
    }
    const snapshot = async () => ({
      frames: pairs((await (await openSse(`${survivor.url}/chat/stream?thread_id=cf-freeze&run_id=${runId}`, { headers: bearer(token) })).collect()).filter((f) => f.data !== undefined)),
      checkpoints: await checkpointRows('cf-freeze'),
      run: (await queryDb(cluster.databaseUrl, 'SELECT * FROM riser.runs WHERE run_id = $1', [runId]))[0],
      messages: (await api(survivor.url).get('/chat/threads/cf-freeze')).body.messages,
    });
    const before = await snapshot();
    // The thawed process runs again (its timers fire at once: the next token, the lease renewal)...
    await until(() => fetch(`${frozen.url}/health/live`).then((r) => r.status, () => 0), (s) => s === 200, 10_000);
    // ...and is given longer than the rest of its reply (~25 tokens × 50 ms) and a lease
    // period to write anything it still would: nothing of it may show.
    await new Promise((r) => setTimeout(r, LEASE_MS + 1500));
    const after = await snapshot();
    expect(after).toEqual(before);
    expect(after.frames[after.frames.length - 1][1]).toBe('[DONE]');
    expect(after.frames.filter(([, d]) => d === '[DONE]')).toHaveLength(1);
    expect(after.frames.map(([id]) => Number(id))).toEqual(consecutive(after.frames.length));
    expect(keptText(after.frames.map(([id, data]) => ({ id: id!, data: data!, at: 0 })))).toBe(REPLY(said));
    expect(after.messages.map((m: any) => m.content)).toEqual([said, REPLY(said)]);
    // Fenced, not crashed.
    expect(cluster.alive(frozen)).toBe(true);
    // The client on the frozen replica: its stream ended (told to rejoin, or at [DONE]), and
    // every frame it got is the log's frame of that id.
    const shown = await Promise.race([
      onFrozen.rest(),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error('the stream on the thawed replica did not end')), 15_000).unref()),
    ]);
    const log = new Map(after.frames.map(([id, data]) => [id, data]));
    const real = shown.filter((f) => !f.data!.startsWith('{"error":"rejoin"'));
    expect(real.map((f) => [f.id, f.data])).toEqual(real.map((f) => [f.id, log.get(f.id!)]));
    expect(ids(real)).toEqual(consecutive(real.length, 2));
    const end = shown[shown.length - 1];
    expect(end.data === '[DONE]' || end.data!.startsWith('{"error":"rejoin"')).toBe(true);
  });

  it(`after RUN_MAX_ATTEMPTS (2 here) lost executors the run ends error interrupted_by_restart, and the thread takes new messages`, async () => {
    const stream = await openSse(`${cluster.proxyUrl}/chat/stream`, { headers: bearer(token), body: { message: 'doomed twice', thread_id: 'cf-max' } });
    const head = await readUntil(stream, tokensSeen(2));
    const runId = JSON.parse(head.frames[0].data!).run_id as string;
    stream.close();
    const first = (await cluster.executorOf(runId))!;
    await cluster.kill(first);
    const second = await until(() => cluster.executorOf(runId), (r) => r !== undefined && r !== first, LEASE_MS + 5000, 100);
    expect(second?.name).toBe(other(first).name);
    // At once, before the second attempt can finish the reply; then nobody executes it.
    await cluster.kill(second!);
    await cluster.restart(first);
    const row = await until(
      async () => (await queryDb(cluster.databaseUrl, 'SELECT status, error_code FROM riser.runs WHERE run_id = $1', [runId]))[0],
      (r) => r.status !== 'running' && r.status !== 'pending',
      LEASE_MS + 10_000,
      100,
    );
    expect(row).toEqual({ status: 'error', error_code: 'interrupted_by_restart' });
    await cluster.restart(second!);
    const view = (await api(first.url).get('/chat/threads/cf-max')).body;
    expect(view.latest_run).toEqual({ run_id: runId, status: 'error', attempt: 2 });
    const next = (await (await openSse(`${first.url}/chat/stream`, { headers: bearer(token), body: { message: 'back again', thread_id: 'cf-max' } })).collect()).filter((f) => f.data !== undefined);
    expect(next[next.length - 1].data).toBe('[DONE]');
    expect(keptText(next)).toContain('back again');
  });
});
