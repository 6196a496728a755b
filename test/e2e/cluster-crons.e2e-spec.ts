import { Client } from '@langchain/langgraph-sdk';
import { bearer } from '@riser/testing';
import { describeCluster, startCluster, type Cluster } from '../support/cluster.js';
import { queryDb } from '../support/db.js';

jest.setTimeout(90_000);

// Issue 15: "with several replicas each tick fires exactly once (claimed in Postgres)".
describeCluster('cluster crons e2e')('a cron on two replicas', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    // Both replicas look for due crons every 100 ms: each tick is contended.
    cluster = await startCluster({ replicas: 2, env: { DEMO_TOKEN_DELAY_MS: '1', CRON_POLL_MS: '100', RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(() => cluster?.destroy());

  it('fires each tick once, whichever replica claims it', async () => {
    const [A, B] = cluster.replicas;
    const sdk = (url: string) => new Client({ apiUrl: url, apiKey: null, defaultHeaders: bearer(cluster.token('cleo')) });
    const cron = await sdk(A.url).crons.create('agent', { schedule: '* * * * * *', input: { messages: [{ role: 'user', content: 'tick' }] }, onRunCompleted: 'keep' });
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 4500));
    await sdk(B.url).crons.delete(cron.cron_id);
    const elapsed = (Date.now() - started) / 1000;

    const runs = await queryDb<{ second: string; worker: string }>(
      cluster.databaseUrl,
      `SELECT date_trunc('second', created_at)::text AS second, worker_id AS worker FROM riser.runs WHERE metadata->>'cron_id' = $1 ORDER BY created_at`,
      [cron.cron_id],
    );
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil(elapsed) + 1);
    // One run per tick: never two in the same second.
    expect(new Set(runs.map((r) => r.second)).size).toBe(runs.length);
  });
});
