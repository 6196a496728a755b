import { bearer, openSse, type SseFrame } from '@riser/testing';
import { describeCluster, startCluster, type Cluster } from '../support/cluster.js';
import { queryDb } from '../support/db.js';
import { consecutive, followRun, ids, type Followed } from '../support/run-follower.js';
import { isContent } from '../support/sse-reading.js';
import { until } from '../support/wait.js';

jest.setTimeout(120_000);

const REPLY = (said: string) => `Hello! You said "${said}". I am Riser's demo agent, streaming this reply word by word. This is message 1 of our conversation.`;
const pairs = (frames: SseFrame[]) => frames.map((f) => [f.id, f.data]);

// Issue 11, acceptance: "SIGTERM of one replica during 20 live streams with a short grace:
// every run completes (on the other replica), every client that rejoins gets the rest exactly
// once, and no run ends `shutdown`." And from its behaviour: /health/ready 503 within 200 ms.
describeCluster('cluster shutdown e2e', { nginx: true })('a rolling restart loses nothing', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    // ~25 tokens 40 ms apart (~1 s a run) against a 300 ms grace: most runs must be handed back.
    // Three replicas: runs handed back by A may be taken by B or C, clients rejoin on either.
    cluster = await startCluster({ replicas: 3, nginx: true, env: { DEMO_TOKEN_DELAY_MS: '40', SHUTDOWN_GRACE_MS: '300', RUN_LEASE_MS: '2000', DB_POOL_MAX: '30' } });
  });
  afterEach(() => cluster?.heal());
  afterAll(() => cluster?.destroy());

  it('SIGTERM of A during 20 live streams on A: ready turns 503 within 200 ms, every client rejoins (through nginx, or on C) and gets the rest exactly once, every run succeeds', async () => {
    const [A, B, C] = cluster.replicas;
    const token = cluster.token('sam');
    const streaming: Promise<void>[] = [];
    const followers: Promise<Followed>[] = [];
    for (let i = 0; i < 20; i++) {
      const first = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: `stream ${i}`, thread_id: `cs-${i}` } });
      expect(first.status).toBe(200);
      let started!: () => void;
      streaming.push(new Promise<void>((r) => (started = r)));
      // Half rejoin through nginx (round-robin over all three, A included while it drains),
      // half straight to C, as behind a load balancer that heeds readiness.
      followers.push(followRun(i % 2 ? cluster.proxyUrl! : C.url, token, first, { onFrame: (_, so) => so.frames.filter(isContent).length >= 2 && started() }));
    }
    await Promise.all(streaming);

    const signalledAt = Date.now();
    const exited = cluster.terminate(A);
    const ready = await until(() => fetch(`${A.url}/health/ready`).then((r) => r.status, () => 0), (s) => s !== 200, 2000, 5);
    const readyAt = Date.now();
    expect(ready).toBe(503);
    expect(readyAt - signalledAt).toBeLessThan(200);

    const followed = await Promise.all(followers);
    expect(await exited).toEqual({ code: 0, signal: null });

    for (const [i, f] of followed.entries()) {
      expect(f.frames[f.frames.length - 1].data).toBe('[DONE]');
      expect(ids(f.frames)).toEqual(consecutive(f.frames.length));
      expect({ i, text: f.text }).toEqual({ i, text: REPLY(`stream ${i}`) });
      for (const told of f.rejoins) {
        // The id of the last real frame, so Last-Event-ID resumes right after it; then the close.
        expect(told.frame.id).toBe(told.previousId);
        expect(JSON.parse(told.frame.data!)).toEqual({ error: 'rejoin', message: expect.any(String) });
        expect(told.after).toEqual([]);
      }
    }
    // With runs three times longer than the grace, the handback must have happened.
    expect(followed.filter((f) => f.rejoins.length > 0).length).toBeGreaterThan(0);

    const runs = await queryDb(cluster.databaseUrl, `SELECT thread_id, status, error_code, attempt FROM riser.runs ORDER BY thread_id`);
    expect(runs).toHaveLength(20);
    expect(runs.filter((r) => r.status !== 'success' || r.error_code)).toEqual([]);
    // Handed back, not failed: resumed by another replica as a second attempt.
    expect(runs.filter((r) => r.attempt === 2).length).toBeGreaterThan(0);
    // B and C serve each run's whole log, the same frames its client assembled.
    for (const [i, f] of followed.entries()) {
      const whole = (await (await openSse(`${(i % 2 ? C : B).url}/chat/stream?thread_id=${f.threadId}&run_id=${f.runId}`, { headers: bearer(token) })).collect()).filter((x) => x.data !== undefined);
      expect(pairs(whole)).toEqual(pairs(f.frames));
    }
  });
});

// The other half of "load balancers stop sending it requests during the grace period": the
// compose nginx does not read /health/ready, so docker/nginx.conf must not answer a new run
// with the draining replica's 503. A fresh cluster: nginx must not already know A as down.
describeCluster('cluster shutdown e2e (drain behind nginx)', { nginx: true })('new runs during a drain', () => {
  let draining: Cluster;
  beforeAll(async () => {
    draining = await startCluster({ replicas: 2, nginx: true, env: { DEMO_TOKEN_DELAY_MS: '40', SHUTDOWN_GRACE_MS: '1000', RUN_LEASE_MS: '2000' } });
  });
  afterAll(() => draining?.destroy());

  it('while A drains, new runs sent through nginx are served by the other replicas, not refused', async () => {
    const [A] = draining.replicas;
    const token = draining.token('sid');
    // A run on A keeps it draining for the grace period.
    const busy = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: 'keep A draining', thread_id: 'cs-drain' } });
    expect(busy.status).toBe(200);
    await until(() => fetch(`${A.url}/health/ready`).then((r) => r.status), (s) => s === 200, 2000);
    const exited = draining.terminate(A);
    expect(await until(() => fetch(`${A.url}/health/ready`).then((r) => r.status, () => 0), (s) => s !== 200, 2000, 5)).toBe(503);
    // Six new runs, round-robin over both replicas: three would reach the draining one.
    const fresh = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        openSse(`${draining.proxyUrl}/chat/stream`, { headers: bearer(token), body: { message: `new while draining ${i}`, thread_id: `cs-new-${i}` } }).then(async (res) => ({
          i,
          status: res.status,
          last: res.status === 200 ? (await res.collect()).filter((f) => f.data !== undefined).pop()?.data : JSON.stringify(await res.json().catch(() => null)),
        })),
      ),
    );
    expect(fresh).toEqual(fresh.map(({ i }) => ({ i, status: 200, last: '[DONE]' })));
    busy.close();
    await exited;
  });
});
