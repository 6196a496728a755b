import { bearer, jsonClient, openSse } from '@riser/testing';
import { describeCluster, startCluster, type Cluster, type Replica } from '../support/cluster.js';
import { keptText } from '../support/run-follower.js';
import { freePort, startRiserProcess } from '../support/riser-process.js';
import { parsed, readUntil, tokensSeen } from '../support/sse-reading.js';
import { until } from '../support/wait.js';

jest.setTimeout(120_000);

const status = (url: string) => fetch(url).then((r) => r.status, () => 0);

// Issue 11, acceptance: "Redis stopped and started again during a run: no crash, clear errors,
// recovery afterwards." The behaviour it names: /health/ready 503 within 5 s, new runs 503
// `unavailable`, open streams end with the `rejoin` frame within 10 s, all recover when Redis
// is back (empty: a rejoin into the lost log gets replay_gap, no thread stays busy); and with
// Redis unreachable at start, Riser refuses to start with a clear message.
describeCluster('cluster redis e2e')('Redis trouble is an error, not data loss', () => {
  let cluster: Cluster;
  let token: string;

  beforeAll(async () => {
    // ~25 tokens 250 ms apart: a run outlasts the outage's first seconds.
    cluster = await startCluster({ replicas: 2, env: { DEMO_TOKEN_DELAY_MS: '250', RUN_LEASE_MS: '2000', SSE_HEARTBEAT_MS: '500' } });
    token = cluster.token('rory');
  });
  afterAll(() => cluster?.destroy());

  const newRun = (replica: Replica, threadId: string, message = 'a new run') =>
    fetch(`${replica.url}/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...bearer(token) }, body: JSON.stringify({ message, thread_id: threadId }) });

  it('Redis stopped during a run, then started again (empty)', async () => {
    const [A, B] = cluster.replicas;
    const stream = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: 'through an outage', thread_id: 'cr-out' } });
    const open = await readUntil(stream, tokensSeen(2));
    const runId = JSON.parse(open.frames[0].data!).run_id as string;

    const stoppedAt = Date.now();
    await cluster.redis.stop();

    // The open stream is told to rejoin within 10 s, with the id of its last real frame, then closes.
    const ending = open.rest();
    const ready = await Promise.all(cluster.replicas.map((r) => until(() => status(`${r.url}/health/ready`), (s) => s === 503, 5000, 50)));
    expect({ ready, within5s: Date.now() - stoppedAt < 5000 }).toEqual({ ready: [503, 503], within5s: true });
    // Bounded, so a stream that never ends fails here rather than at Jest's timeout.
    const frames = await Promise.race([ending, new Promise<never>((_, fail) => setTimeout(() => fail(new Error('the open stream did not end within 15 s of the outage')), 15_000).unref())]);
    const endedAt = Date.now();
    const lastReal = frames[frames.length - 2];
    expect(frames.map(parsed).slice(-1)).toEqual([{ error: 'rejoin', message: expect.any(String) }]);
    expect(frames[frames.length - 1].id).toBe(lastReal.id);
    expect(endedAt - stoppedAt).toBeLessThan(10_000);

    // New runs: a clear 503, not a hang or a 500.
    for (const replica of cluster.replicas) {
      const refused = await newRun(replica, `cr-refused-${replica.name}`);
      expect({ replica: replica.name, status: refused.status, body: await refused.json().catch(() => undefined) }).toEqual({
        replica: replica.name,
        status: 503,
        body: expect.objectContaining({ error: 'unavailable' }),
      });
    }
    // No crash.
    for (const replica of cluster.replicas) {
      expect(cluster.alive(replica)).toBe(true);
      expect(await status(`${replica.url}/health/live`)).toBe(200);
    }

    await cluster.redis.start();
    // Recovery: generous, as reconnect back-off is the product's to choose.
    const back = await Promise.all(cluster.replicas.map((r) => until(() => status(`${r.url}/health/ready`), (s) => s === 200, 30_000, 100)));
    expect(back).toEqual([200, 200]);

    // The run's log was in the Redis that came back empty: the rejoin says so, then goes on.
    const rejoin = (await (await openSse(`${B.url}/chat/stream?thread_id=cr-out&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': lastReal.id! } })).collect()).filter(
      (f) => f.data !== undefined,
    );
    expect(rejoin.map(parsed)[0]).toEqual({ error: 'replay_gap', message: expect.any(String) });
    expect(rejoin[rejoin.length - 1].data).toBe('[DONE]');
    const thread = await until(() => jsonClient(B.url, bearer(token)).get('/chat/threads/cr-out'), (r) => r.body.status !== 'busy', 30_000, 200);
    expect(thread.body.status).not.toBe('busy');

    // New runs succeed on both replicas, including on the thread that lived through it.
    for (const [replica, threadId] of [[A, 'cr-out'], [B, 'cr-after']] as const) {
      const after = (await (await openSse(`${replica.url}/chat/stream`, { headers: bearer(token), body: { message: `after the outage on ${replica.name}`, thread_id: threadId } })).collect()).filter(
        (f) => f.data !== undefined,
      );
      expect(after[after.length - 1].data).toBe('[DONE]');
      expect(keptText(after)).toContain(`after the outage on ${replica.name}`);
    }
  });

  it('with REDIS_URL set and Redis unreachable at start, Riser refuses to start and says why', async () => {
    const nobody = await freePort();
    const env = { ...cluster.replicas[0].env, PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${nobody}` };
    const outcome = await startRiserProcess(env, 30_000).then(
      async (p) => {
        p.child.kill('SIGKILL');
        await p.exited;
        return 'it started';
      },
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/^Riser exited with [1-9]\d*:/);
    expect(outcome).toMatch(/redis/i);
  });
});
