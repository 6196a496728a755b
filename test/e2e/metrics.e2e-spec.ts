import { randomUUID } from 'node:crypto';
import { bearer, connectChat, frameData, jsonClient, openSse } from '@riser/testing';
import { freePort } from '../support/riser-process.js';
import { scrape, type Scrape } from '../support/metrics.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

describe('metrics: GET /metrics on METRICS_PORT', () => {
  let riser: RiserTestApp;
  let metricsUrl: string;
  let token: string;

  beforeAll(async () => {
    const port = await freePort();
    riser = await startRiser({ env: { METRICS_PORT: String(port), DEMO_TOKEN_DELAY_MS: '0', DB_POOL_MAX: '20' } });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    token = riser.token('mia', { tenant: 'acme', roles: ['approver'] });
  });
  afterAll(() => riser.destroy());

  const chat = async (body: object) => (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body })).collect();
  const moved = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);

  it('is served on its own port without a token, and not on the public one', async () => {
    const first = await scrape(metricsUrl);
    expect(first.has('process_cpu_user_seconds_total')).toBe(true);
    expect(first.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(first.value('riser_pg_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect((await fetch(`${riser.url}/metrics`)).status).toBe(404);
  });

  it('a streamed run, an interrupted run and a decided approval move the counters by what happened', async () => {
    const before = await scrape(metricsUrl);
    const streamed = await chat({ message: 'hello there', thread_id: 'm-stream' });
    const asked = await chat({ message: 'please refund order A-9 $40', thread_id: 'm-refund' });
    const interrupt = frameData(asked).find((d: any) => d?.interrupt) as { interrupts: { id: string }[] };
    expect(interrupt).toBeDefined();

    const pendingNow = await scrape(metricsUrl);
    expect(pendingNow.value('riser_approvals_pending')).toBe(1);

    const api = jsonClient(riser.url, bearer(token));
    const decided = await api.post(`/chat/threads/m-refund/approvals/${interrupt.interrupts[0].id}`, { decision: 'approve' });
    expect(decided.status).toBe(202);
    const resumed = await (
      await openSse(`${riser.url}/chat/stream?thread_id=m-refund&run_id=${decided.body.run_id}`, { headers: bearer(token) })
    ).collect();
    expect(frameData(resumed).at(-1)).toBe('[DONE]');
    const after = await scrape(metricsUrl);

    const m = (name: string, labels?: Record<string, string>) => moved(before, after, name, labels);
    expect(m('riser_runs_started_total', { assistant: 'agent', protocol: 'simple' })).toBe(2);
    expect(m('riser_runs_started_total', { assistant: 'agent', protocol: 'approval' })).toBe(1);
    expect(m('riser_runs_ended_total', { status: 'success', code: 'none' })).toBe(2);
    expect(m('riser_runs_ended_total', { status: 'interrupted', code: 'none' })).toBe(1);
    expect(m('riser_run_duration_seconds_count', { status: 'success' })).toBe(2);
    expect(m('riser_run_duration_seconds_count', { status: 'interrupted' })).toBe(1);
    expect(m('riser_run_queue_wait_seconds_count')).toBe(3);
    expect(m('riser_run_attempts_total')).toBe(3);
    // Every run here streams text before it ends (the refund request says why it asks).
    expect(m('riser_run_time_to_first_token_seconds_count')).toBe(3);
    expect(after.value('riser_runs_active')).toBe(0);
    expect(after.value('riser_runs_pending')).toBe(0);

    expect(m('riser_approvals_requested_total')).toBe(1);
    expect(m('riser_approvals_decided_total', { decision: 'approve' })).toBe(1);
    expect(m('riser_approval_decision_seconds_count')).toBe(1);
    expect(after.value('riser_approvals_pending')).toBe(0);

    // Data frames as the client read them ([DONE] included), heartbeats not.
    const dataFrames = [streamed, asked, resumed].flat().filter((f) => f.data !== undefined).length;
    expect(m('riser_stream_frames_total', { protocol: 'simple' })).toBe(dataFrames);
    expect(m('riser_stream_bytes_total', { protocol: 'simple' })).toBeGreaterThan(dataFrames);
    expect(m('riser_stream_rejoins_total', { protocol: 'simple' })).toBe(1);
    expect(after.value('riser_stream_subscribers', { protocol: 'simple' })).toBe(0);

    expect(m('riser_http_requests_total', { route: '/chat/stream', method: 'POST', status: '200' })).toBe(2);
    expect(m('riser_http_requests_total', { route: '/chat/stream', method: 'GET', status: '200' })).toBe(1);
    expect(m('riser_http_requests_total', { route: '/chat/threads/:thread_id/approvals/:interrupt_id', method: 'POST', status: '202' })).toBe(1);
    expect(m('riser_http_request_duration_seconds_count', { route: '/chat/stream', method: 'POST' })).toBe(2);
  });

  it('counts refused credentials by reason, and sockets as they come and go', async () => {
    const before = await scrape(metricsUrl);
    expect((await fetch(`${riser.url}/chat/threads/x`)).status).toBe(401);
    const expired = riser.token('mia', { ttl: -60 });
    expect((await fetch(`${riser.url}/chat/threads/x`, { headers: bearer(expired) })).status).toBe(401);
    await expect(connectChat(riser.url, 'not-a-jwt')).rejects.toThrow();
    const socket = await connectChat(riser.url, token);
    const connected = await scrape(metricsUrl);
    socket.close();
    await new Promise((r) => setTimeout(r, 200));
    const after = await scrape(metricsUrl);

    expect(moved(before, after, 'riser_auth_refusals_total', { reason: 'missing' })).toBe(1);
    expect(moved(before, after, 'riser_auth_refusals_total', { reason: 'expired' })).toBe(1);
    expect(moved(before, after, 'riser_auth_refusals_total', { reason: 'invalid' })).toBe(1);
    expect(moved(before, after, 'riser_socket_handshake_refusals_total', { reason: 'invalid' })).toBe(1);
    expect(moved(before, connected, 'riser_socket_connections')).toBe(1);
    expect(after.value('riser_socket_connections')).toBe(before.value('riser_socket_connections'));
    expect(moved(before, after, 'riser_http_requests_total', { route: '/chat/threads/:thread_id', method: 'GET', status: '401' })).toBe(2);
    // A path no route knows is one series, whatever the path.
    await fetch(`${riser.url}/nope/${randomUUID()}`);
    expect((await scrape(metricsUrl)).value('riser_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThan(0);
  });

  it('label sets stay bounded: 200 runs on 200 threads add no series, and no id is a label value', async () => {
    const ids: string[] = [];
    const runBatch = async (n: number) => {
      for (let i = 0; i < n; i += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, n - i) }, async () => {
            const thread = `bounded-${randomUUID()}`;
            ids.push(thread);
            const frames = await chat({ message: 'hi', thread_id: thread });
            const meta = frameData(frames)[0] as { run_id: string };
            ids.push(meta.run_id);
          }),
        );
        await fetch(`${riser.url}/chat/threads/${ids[ids.length - 2]}`, { headers: bearer(token) });
      }
    };
    await runBatch(20);
    const warm = await scrape(metricsUrl);
    await runBatch(200);
    const after = await scrape(metricsUrl);
    const riserSeries = (s: Scrape) => [...s.series.keys()].filter((k) => k.startsWith('riser_')).sort();
    expect(riserSeries(after)).toEqual(riserSeries(warm));
    expect(after.value('riser_runs_ended_total', { status: 'success', code: 'none' }) - warm.value('riser_runs_ended_total', { status: 'success', code: 'none' })).toBe(200);
    const values = new Set(after.labelValues);
    expect(ids.filter((id) => [...values].some((v) => v.includes(id)))).toEqual([]);
  });
});

describe('metrics: stream data loss', () => {
  let riser: RiserTestApp;
  let metricsUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    // A log that keeps 10 events: a rejoin from the start of a longer run has lost some.
    riser = await startRiser({ env: { METRICS_PORT: String(port), RUN_LOG_MAX_EVENTS: '10' } });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(() => riser.destroy());

  it('counts a rejoin whose cursor is older than the log as a replay_gap', async () => {
    const token = riser.token('gus', { tenant: 'acme' });
    const first = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'a reply longer than ten events', thread_id: 'gap-1' } })).collect());
    const runId = (first[0] as { run_id: string }).run_id;
    const before = await scrape(metricsUrl);
    const rejoin = await openSse(`${riser.url}/chat/stream?thread_id=gap-1&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '1' } });
    const data = frameData(await rejoin.collect());
    expect(data[0]).toMatchObject({ error: 'replay_gap' });
    const after = await scrape(metricsUrl);
    expect(after.value('riser_stream_endings_total', { reason: 'replay_gap' }) - before.value('riser_stream_endings_total', { reason: 'replay_gap' })).toBe(1);
    expect(after.value('riser_stream_rejoins_total', { protocol: 'simple' }) - before.value('riser_stream_rejoins_total', { protocol: 'simple' })).toBe(1);
  });
});
