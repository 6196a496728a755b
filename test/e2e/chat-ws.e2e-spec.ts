import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { bearer, connectChatWs, tokenFactory, frameData, jsonClient, openSse, type ChatWsClient, type SseFrame, type WsFrame } from '@riser/testing';
import { hashApiKey } from '@riser/auth';
import { WebSocket } from 'ws';
import { scrape } from '../support/metrics.js';
import { freePort } from '../support/riser-process.js';
import { readUpTo } from '../support/sse-reading.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

/** The seed's own client loop: send one message, read frames until `done`. */
async function seedLoop(client: ChatWsClient, message: string, threadId: string): Promise<WsFrame[]> {
  const from = client.frames.length;
  client.send({ message, thread_id: threadId });
  await client.waitFor((f) => client.frames.indexOf(f) >= from && f.done === true);
  return client.frames.slice(from, client.frames.findIndex((f, i) => i >= from && f.done) + 1);
}

const contentOf = (frames: WsFrame[]) => frames.filter((f) => typeof f.content === 'string').map((f) => f.content).join('');

/** An upgrade request by hand, for what a WebSocket client library would not show: status and body of a refusal. */
function rawUpgrade(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(`${url}${path}`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolvePromise({ status: res.statusCode!, body, ms: Date.now() - started }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolvePromise({ status: res.statusCode!, body: '', ms: Date.now() - started });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the seed’s plain WebSocket at /chat/ws', () => {
  let riser: RiserTestApp;
  let token: string;
  const apiKey = `rsk_${randomBytes(16).toString('hex')}`;
  const clients: ChatWsClient[] = [];
  const connect = async (options: Parameters<typeof connectChatWs>[1] = { token }) => {
    const client = await connectChatWs(riser.url, options);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '5', API_KEYS: `sha256:${hashApiKey(apiKey)}=svc@acme`, MAX_MESSAGE_BYTES: '1024', BODY_LIMIT_BYTES: '4096' } });
    token = riser.token('wendy', { tenant: 'acme' });
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(() => riser?.destroy());

  it('answers the seed’s loop: {message, thread_id} in, {content}… then {done: true}, every frame with run_id and seq', async () => {
    const client = await connect();
    const frames = await seedLoop(client, 'hello over a plain websocket', 'ws-seed-1');
    const runId = frames[0].run_id;
    expect(frames[0]).toEqual({ thread_id: 'ws-seed-1', run_id: expect.any(String), seq: 1 });
    expect(contentOf(frames)).toContain('hello over a plain websocket');
    expect(frames[frames.length - 1]).toEqual({ done: true, status: 'success', run_id: runId, seq: expect.any(Number) });
    for (const frame of frames) expect(frame).toMatchObject({ run_id: runId, seq: expect.any(Number) });
    const seqs = frames.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    // The same run over SSE: the same payloads under the same ids.
    const sse = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=ws-seed-1&run_id=${runId}`, { headers: bearer(token) })).collect());
    expect(sse.pop()).toBe('[DONE]');
    // (/chat/ws adds run_id and seq to every frame; SSE has run_id in the first only, seq as the id.)
    expect(frames.slice(0, -1).map(({ run_id, seq: _s, ...rest }) => ('thread_id' in rest ? { ...rest, run_id } : rest))).toEqual(sse);

    // A second message on the same connection and thread: the thread remembers.
    const second = await seedLoop(client, 'and again', 'ws-seed-1');
    expect(contentOf(second)).toContain('Earlier you said "hello over a plain websocket"');
  });

  it('pauses a refund at its interrupt, and an approve on the same connection resumes it there', async () => {
    const client = await connect();
    const asked = await seedLoop(client, 'refund order A-7 $20', 'ws-refund');
    const interrupt = asked.find((f) => f.interrupt);
    expect(interrupt).toMatchObject({ interrupt: true, interrupts: [{ id: expect.any(String), value: expect.objectContaining({ action: 'issue_refund' }) }] });
    expect(asked[asked.length - 1]).toMatchObject({ done: true, status: 'interrupted' });

    const from = client.frames.length;
    client.send({ type: 'approve', id: 'ok-1', thread_id: 'ws-refund', interrupt_id: interrupt!.interrupts[0].id, decision: 'approve' });
    const done = await client.waitFor((f) => f.ref === 'ok-1' && f.done);
    const resumed = client.frames.slice(from);
    expect(resumed[0]).toEqual({ thread_id: 'ws-refund', run_id: expect.any(String), seq: 1, ref: 'ok-1' });
    expect(resumed[0].run_id).not.toBe(asked[0].run_id);
    expect(done).toMatchObject({ status: 'success', run_id: resumed[0].run_id });
    expect(contentOf(resumed)).toContain('Refund issued');

    // A second decision on the same interrupt: a typed error, the connection stays.
    client.send({ type: 'approve', id: 'ok-2', thread_id: 'ws-refund', interrupt_id: interrupt!.interrupts[0].id, decision: 'approve' });
    expect(await client.waitFor((f) => f.ref === 'ok-2')).toMatchObject({ error: 'already_decided', message: expect.any(String) });
    const thread = await jsonClient(riser.url, bearer(token)).get('/chat/threads/ws-refund');
    expect(thread.body.status).toBe('idle');
  });

  it('runs several runs at once on one connection, answering messages in the order they came', async () => {
    const client = await connect();
    client.send({ id: 'a', message: 'first of two', thread_id: 'ws-multi-a' });
    client.send({ id: 'bad', message: 42 });
    client.send({ id: 'b', message: 'second of two', thread_id: 'ws-multi-b' });
    const [a, b] = await Promise.all([client.waitFor((f) => f.ref === 'a' && f.done), client.waitFor((f) => f.ref === 'b' && f.done)]);
    const firsts = client.frames.filter((f) => f.seq === 1 || f.error).map((f) => f.ref);
    expect(firsts).toEqual(['a', 'bad', 'b']);
    expect(client.frames.find((f) => f.ref === 'bad')).toMatchObject({ error: 'invalid_request', field: 'message' });
    expect(a.run_id).not.toBe(b.run_id);
    for (const [ref, text] of [['a', 'first of two'], ['b', 'second of two']]) {
      const run = client.frames.filter((f) => f.ref === ref);
      expect(contentOf(run)).toContain(text);
      expect(run.map((f) => f.seq)).toEqual(run.map((f) => f.seq).sort((x, y) => x - y));
    }
    // They overlapped: b's first frame came before a's end.
    expect(client.frames.findIndex((f) => f.ref === 'b')).toBeLessThan(client.frames.findIndex((f) => f.ref === 'a' && f.done));
  });

  it('a run started over /chat/ws is rejoined over SSE with Last-Event-ID, and the other way round', async () => {
    const client = await connect();
    client.send({ message: 'cross the streams please', thread_id: 'ws-cross-1' });
    const fifth = await client.waitFor((f) => f.seq >= 5);
    client.close();
    const rest = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=ws-cross-1&run_id=${fifth.run_id}`, { headers: { ...bearer(token), 'last-event-id': String(fifth.seq) } })).collect());
    const upTo = client.frames.filter((f) => f.seq <= fifth.seq);
    expect(rest.pop()).toBe('[DONE]');
    expect(contentOf(upTo) + contentOf(rest as WsFrame[])).toContain('cross the streams please');

    // SSE first, cut after 4 frames; the rest over /chat/ws from after_seq.
    const got: SseFrame[] = [];
    await readUpTo(await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'and back again', thread_id: 'ws-cross-2' } }), got, 4);
    const runId = JSON.parse(got[0].data!).run_id;
    const ws = await connect();
    ws.send({ type: 'subscribe', id: 'rejoin', thread_id: 'ws-cross-2', run_id: runId, after_seq: Number(got[3].id) });
    await ws.waitFor((f) => f.ref === 'rejoin' && f.done);
    expect(ws.frames[0].seq).toBe(Number(got[3].id) + 1);
    const whole = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=ws-cross-2&run_id=${runId}`, { headers: bearer(token) })).collect());
    const stitched = [...got.map((f) => JSON.parse(f.data!)), ...ws.frames.slice(0, -1).map(({ run_id: _r, seq: _s, ref: _f, ...p }) => p), '[DONE]'];
    expect(stitched).toEqual(whole);
    // A cursor at the end of a finished run: its end again, nothing more.
    ws.send({ type: 'subscribe', id: 'late', thread_id: 'ws-cross-2', run_id: runId, after_seq: ws.frames[ws.frames.length - 1].seq });
    expect(await ws.waitFor((f) => f.ref === 'late')).toMatchObject({ done: true, status: 'success', run_id: runId });
  });

  it('cancels a run; the run’s frames end cancelled', async () => {
    const slow = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '100' } });
    try {
      const client = await connectChatWs(slow.url, { token: slow.token('carl') });
      clients.push(client);
      client.send({ id: 'go', message: 'a long enough answer to cancel', thread_id: 'ws-cancel' });
      const first = await client.waitFor((f) => f.ref === 'go' && f.content);
      client.send({ type: 'cancel', id: 'stop', thread_id: 'ws-cancel', run_id: first.run_id });
      expect(await client.waitFor((f) => f.ref === 'stop')).toEqual({ cancelled: true, thread_id: 'ws-cancel', run_id: first.run_id, status: 'cancelled', ref: 'stop' });
      expect(await client.waitFor((f) => f.ref === 'go' && f.done)).toMatchObject({ status: 'cancelled' });
      expect(client.frames.find((f) => f.ref === 'go' && f.error)).toMatchObject({ error: 'cancelled' });
      // Cancelling it again: a typed error.
      client.send({ type: 'cancel', id: 'again', thread_id: 'ws-cancel', run_id: first.run_id });
      expect(await client.waitFor((f) => f.ref === 'again')).toMatchObject({ error: 'run_not_active' });
    } finally {
      await slow.destroy();
    }
  });

  it('authenticates the upgrade: bearer header, the `riser, bearer.<jwt>` subprotocol offer, an API key, access_token; refuses with 401 before the handshake', async () => {
    const viaProtocol = await connect({ protocols: ['riser', `bearer.${token}`] });
    expect(viaProtocol.ws.protocol).toBe('riser');
    expect((await seedLoop(viaProtocol, 'browser style', 'ws-auth-1')).pop()).toMatchObject({ done: true, status: 'success' });
    const viaKey = await connect({ headers: { 'x-api-key': apiKey } });
    expect((await seedLoop(viaKey, 'service style', 'ws-auth-2')).pop()).toMatchObject({ done: true });
    await expect(connectChatWs(riser.url, {}, `/chat/ws?access_token=${token}`)).resolves.toBeDefined();

    for (const [headers, message] of [
      [{}, 'missing bearer token'],
      [{ authorization: `Bearer ${riser.token('late', { ttl: -10 })}` }, 'token expired'],
      [{ authorization: 'Bearer not.a.token' }, 'token'],
      [{ 'sec-websocket-protocol': 'riser, bearer.nope' }, 'token'],
      [{ authorization: `Bearer ${tokenFactory('another-secret-of-32-characters-at-least')('mallory')}` }, 'invalid token'],
      [{ 'x-api-key': 'wrong' }, 'invalid API key'],
    ] as [Record<string, string>, string][]) {
      const refused = await rawUpgrade(riser.url, '/chat/ws', headers);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'unauthorized', message: expect.stringContaining(message) });
      expect(refused.body).not.toContain(token);
    }
    // The token is never echoed: the accepted subprotocol is `riser` alone.
    const accepted = await rawUpgrade(riser.url, '/chat/ws', { 'sec-websocket-protocol': `riser, bearer.${token}` });
    expect(accepted.status).toBe(101);

    // Other upgrade paths: 404 at once, not a hang; a plain GET: 426.
    for (const path of ['/chat/nope', '/chat/stream', '/anything']) {
      const missing = await rawUpgrade(riser.url, path, bearer(token));
      expect(missing.status).toBe(404);
      expect(missing.ms).toBeLessThan(900);
    }
    const plain = await fetch(`${riser.url}/chat/ws`, { headers: bearer(token) });
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    expect(await plain.json()).toMatchObject({ error: 'upgrade_required' });
  });

  it('closes with 4401 at the token’s exp, mid-run, with nothing sent after it', async () => {
    const slow = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '150' } });
    try {
      const client = await connectChatWs(slow.url, { token: slow.token('brief', { ttl: 2 }) });
      clients.push(client);
      client.send({ message: 'a long answer please', thread_id: 'ws-expiring' });
      const { code } = await client.closed;
      expect(code).toBe(4401);
      expect(client.frames.length).toBeGreaterThan(0);
      expect(client.frames.some((f) => f.done)).toBe(false);
    } finally {
      await slow.destroy();
    }
  });

  it('answers bad input with typed errors and stays open; a frame over BODY_LIMIT_BYTES closes with 1009', async () => {
    const client = await connect();
    const cases: [unknown, string, string?][] = [
      ['not json', 'invalid_json'],
      ['[1,2]', 'invalid_request', 'frame'],
      ['"text"', 'invalid_request', 'frame'],
      [{ id: 1 }, 'invalid_request', 'message'],
      [{ id: 2, message: '   ' }, 'invalid_request', 'message'],
      [{ id: 3, type: 'dance' }, 'invalid_request', 'type'],
      [{ id: 4, type: 'subscribe' }, 'invalid_request', 'thread_id'],
      [{ id: 5, type: 'approve', thread_id: 't', interrupt_id: 'i', decision: 'maybe' }, 'invalid_request', 'decision'],
      [{ id: 6, type: 'cancel', thread_id: 't', run_id: 'not-a-uuid' }, 'invalid_request', 'run_id'],
      [{ id: 7, message: 'é'.repeat(600) }, 'message_too_large'],
      [{ id: 8, message: 'nul \u0000 inside' }, 'invalid_request', 'message'],
      [{ id: 9, type: 'subscribe', thread_id: 'nobody-has-this' }, 'thread_not_found'],
      [{ id: { nested: true }, message: 'x' }, 'invalid_request', 'id'],
    ];
    for (const [frame, error, field] of cases) {
      const before = client.frames.length;
      client.send(frame);
      const answer = await client.waitFor((f) => client.frames.indexOf(f) >= before);
      expect(answer).toMatchObject({ error, message: expect.any(String), ...(field && { field }) });
      if (typeof frame === 'object' && typeof (frame as { id?: unknown }).id === 'number') expect(answer.ref).toBe((frame as { id: number }).id);
    }
    const before = client.frames.length;
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.waitFor((f) => client.frames.indexOf(f) >= before)).toMatchObject({ error: 'invalid_request', field: 'frame' });
    expect((await seedLoop(client, 'still here', 'ws-bad-1')).pop()).toMatchObject({ done: true });

    client.send('x'.repeat(5000));
    expect((await client.closed).code).toBe(1009);
  });

  it('survives 500 random bad frames without a crash, answering each', async () => {
    const client = await connect();
    const pieces = ['{', '}', '[', ']', '"message"', '"type"', '"subscribe"', '"approve"', '"cancel"', ':', ',', 'null', '1e999', '"\\u0000"', '"\\ud800"', 'true', '"thread_id"', '"run_id"', '"after_seq"', '-1', '"id"', '{"message":', '{"type":"approve",'];
    let seed = 17;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const frames: string[] = [];
    for (let i = 0; i < 500; i++) {
      const n = 1 + Math.floor(random() * 12);
      frames.push(Array.from({ length: n }, () => pieces[Math.floor(random() * pieces.length)]).join(''));
    }
    const before = client.frames.length;
    for (const frame of frames) client.send(frame);
    // Every one answered with a typed error (a frame that happens to be a valid start gets a run instead).
    await client.waitFor(() => client.frames.length - before >= 500, 30_000);
    const answers = client.frames.slice(before);
    expect(answers.filter((f) => f.error === 'internal')).toEqual([]);
    expect(answers.every((f) => typeof f.error === 'string' || f.run_id)).toBe(true);
    expect((await seedLoop(client, 'after the storm', 'ws-fuzz')).pop()).toMatchObject({ done: true });
    expect((await fetch(`${riser.url}/health/live`)).status).toBe(200);
  });
});

describe('a stalled /chat/ws reader', () => {
  let riser: RiserTestApp;
  beforeAll(async () => {
    riser = await startRiser({
      env: {
        LANGGRAPH_CONFIG: resolve(__dirname, '../fixtures/process-langgraph.json'),
        SSE_MAX_BUFFERED_BYTES: '65536',
        SSE_MAX_LAG_EVENTS: '2000',
        RUN_LOG_MAX_EVENTS: '100000',
        RUN_LOG_MAX_BYTES: String(64 * 1024 * 1024),
      },
    });
  });
  afterAll(() => riser?.destroy());

  it('is ended with slow_consumer and 1013, the run goes on, and a rejoin gets every frame exactly once', async () => {
    const TOKENS = 40_000;
    const token = riser.token('stall');
    const client = await connectChatWs(riser.url, { token });
    client.send({ message: `count ${TOKENS}`, assistant_id: 'counter', thread_id: 'ws-stall' });
    const first = await client.waitFor((f) => f.seq === 1);
    client.ws.pause();
    // The run finishes while nobody reads.
    const http = jsonClient(riser.url, bearer(token));
    for (let i = 0; (await http.get('/chat/threads/ws-stall')).body.status !== 'idle'; i++) {
      if (i > 600) throw new Error('the run did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    client.ws.resume();
    const { code } = await client.closed;
    expect(code).toBe(1013);
    const last = client.frames[client.frames.length - 1];
    expect(last).toMatchObject({ error: 'slow_consumer', run_id: first.run_id, seq: expect.any(Number) });

    // A client rejoins from the last seq it got, as often as it falls behind again (a reader
    // in this test's own process competes with the server for the one event loop).
    let all = client.frames.slice(0, -1);
    let rejoins = 0;
    for (let cursor = last.seq; !all[all.length - 1]?.done; rejoins++) {
      if (rejoins > 20) throw new Error('too many rejoins');
      const again = await connectChatWs(riser.url, { token });
      again.send({ type: 'subscribe', thread_id: 'ws-stall', run_id: first.run_id, after_seq: cursor });
      const closed = await Promise.race([again.closed, again.waitFor((f) => f.done, 60_000).catch(() => undefined)]);
      again.close();
      const got = again.frames.filter((f) => f.error !== 'slow_consumer');
      if (!got.length && closed) throw new Error(`rejoin got nothing: ${JSON.stringify(again.frames)}`);
      all = [...all, ...got];
      cursor = all[all.length - 1].seq;
    }
    expect(all.map((f) => f.seq)).toEqual(all.map((_, i) => i + 1));
    console.log(`stalled /chat/ws reader: slow_consumer at seq ${last.seq} of ${all.length}; ${rejoins} rejoin(s) to the end`);
    const contents = all.filter((f) => f.content);
    expect(contents).toHaveLength(TOKENS);
    expect(contents[TOKENS - 1].content).toMatch(/^t0040000 /);
    expect(all[all.length - 1]).toMatchObject({ done: true, status: 'success' });
  }, 120_000);
});

describe('/chat/ws keep-alive, metrics and shutdown', () => {
  let riser: RiserTestApp;
  let metricsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    riser = await startRiser({ env: { SSE_HEARTBEAT_MS: '200', DEMO_TOKEN_DELAY_MS: '100', METRICS_PORT: String(port) } });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(() => riser?.destroy());

  it('pings every SSE_HEARTBEAT_MS and cuts a peer that stops answering; one that answers stays', async () => {
    const answering = await connectChatWs(riser.url, { token: riser.token('pinged') });
    let pings = 0;
    answering.ws.on('ping', () => pings++);
    // A peer that stops answering pings (ws answers them by itself unless told not to).
    const silent = new WebSocket(riser.url.replace('http', 'ws') + '/chat/ws', { headers: bearer(riser.token('silent')), autoPong: false });
    const silentClosed = new Promise<number>((r) => silent.once('close', (code) => r(code)));
    await new Promise((r) => silent.once('open', r));
    const started = Date.now();
    expect(await silentClosed).toBe(1006);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(answering.ws.readyState).toBe(WebSocket.OPEN);
    answering.close();
  });

  it('counts its streams as protocol="ws" in the stream metrics', async () => {
    const before = await scrape(metricsUrl);
    const client = await connectChatWs(riser.url, { token: riser.token('counted') });
    client.send({ message: 'count me', thread_id: 'ws-metrics' });
    await client.waitFor((f) => f.content);
    expect((await scrape(metricsUrl)).value('riser_stream_subscribers', { protocol: 'ws' })).toBe(1);
    const done = await client.waitFor((f) => f.done);
    const frames = client.frames.filter((f) => f.run_id === done.run_id).length;
    const after = await scrape(metricsUrl);
    expect(after.value('riser_stream_subscribers', { protocol: 'ws' })).toBe(0);
    expect(after.value('riser_stream_frames_total', { protocol: 'ws' }) - before.value('riser_stream_frames_total', { protocol: 'ws' })).toBe(frames);
    expect(after.value('riser_stream_bytes_total', { protocol: 'ws' })).toBeGreaterThan(before.value('riser_stream_bytes_total', { protocol: 'ws' }));
    expect(after.value('riser_runs_started_total', { assistant: 'agent', protocol: 'ws' })).toBe(1);
    expect(after.value('riser_stream_heartbeats_total', { protocol: 'ws' })).toBeGreaterThan(0);
    client.close();
  });

  it('at shutdown, ends each run’s frames (alone: the run stops `shutdown`), then closes with 1001', async () => {
    const client = await connectChatWs(riser.url, { token: riser.token('leaving') });
    client.send({ message: 'a long answer that will not finish before the grace period', thread_id: 'ws-shutdown' });
    await client.waitFor((f) => f.content);
    const closing = riser.close();
    const { code } = await client.closed;
    expect(code).toBe(1001);
    const tail = client.frames.slice(-2);
    expect(tail[0]).toMatchObject({ error: 'shutdown' });
    expect(tail[1]).toMatchObject({ done: true, status: 'error' });
    await closing;
  });
});
