import { bearer, connectChat, connectChatWs, frameData, openSse, request, runMessages } from '@riser/testing';
import { DOCS_CSP } from '../../src/http/openapi/docs.controller.js';
import { CONSOLE_CSP } from '../../src/http/console/console.controller.js';
import { findNginx, startNginx } from '../support/nginx.js';
import { expectSecurityHeaders } from '../support/security-headers.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const nginx = findNginx();
if (!nginx) {
  // Skipped only when nginx cannot be installed here (.ci/run installs Debian's nginx-light).
  console.warn('SKIPPED nginx e2e: no nginx binary on this machine (apt-get install nginx-light)');
}

// Skipped only without nginx (see the warning above).
(nginx ? describe : describe.skip)('behind a real nginx with docker/nginx.conf', () => {
  let riser: RiserTestApp;
  let proxy: Awaited<ReturnType<typeof startNginx>>;
  let token: string;

  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '30', SSE_HEARTBEAT_MS: '200', TRUST_PROXY: 'true' } });
    proxy = await startNginx(Number(new URL(riser.url).port));
    token = riser.token('nina');
  });
  afterAll(async () => {
    await proxy?.stop();
    await riser?.destroy();
  });

  it('hands Riser one request id: the client’s, or nginx’s own', async () => {
    const given = await fetch(`${proxy.url}/health/live`, { headers: { 'x-request-id': 'edge-req-1' } });
    expect(given.headers.get('x-request-id')).toBe('edge-req-1');
    const made = await fetch(`${proxy.url}/health/live`);
    const madeId = made.headers.get('x-request-id');
    expect(madeId).toMatch(/^[0-9a-f]{32}$/);
    // The access log names the same id, so an edge line leads to Riser's.
    const log = proxy.accessLog();
    expect(log).toMatch(/\/health\/live HTTP\/1\.1" 200 .* edge-req-1$/m);
    expect(log).toContain(madeId!);
  });

  it('streams tokens progressively, not buffered into one burst', async () => {
    const res = await openSse(`${proxy.url}/chat/stream`, { headers: bearer(token), body: { message: 'through the proxy', thread_id: 'ngx-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(res.headers.get('content-encoding')).toBeNull();
    // Security headers once each (Riser's hidden, nginx's own added), without buffering the stream.
    expectSecurityHeaders(res.headers);
    const frames = await res.collect();
    const tokens = frames.filter((f) => f.data?.startsWith('{"content"'));
    const done = frames.find((f) => f.data === '[DONE]')!;
    expect(tokens.length).toBeGreaterThan(15);
    // ~20 tokens 30 ms apart: spread over time as they were produced.
    expect(done.at - tokens[0].at).toBeGreaterThan(300);
    const gaps = tokens.slice(1).map((f, i) => f.at - tokens[i].at);
    expect(gaps.filter((g) => g >= 15).length).toBeGreaterThan(tokens.length / 2);
  });

  it('adds the security headers to JSON answers, its own errors included, once each', async () => {
    const ok = await fetch(`${proxy.url}/health/live`);
    expect(ok.status).toBe(200);
    expectSecurityHeaders(ok.headers);
    // nginx's own 413 (client_max_body_size): JSON like Riser's, with the same headers.
    const big = await fetch(`${proxy.url}/chat/stream`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'payload_too_large' });
    expectSecurityHeaders(big.headers);
  });

  it('passes the /docs and /console pages’ own CSP through, the API’s everywhere else', async () => {
    const docs = await fetch(`${proxy.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(docs.headers.get('x-frame-options')).toBe('DENY');
    const api = await fetch(`${proxy.url}/health/live`);
    expect(api.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    // The console page and its files come through with their own CSP, once.
    for (const path of ['/console', '/console/app.js', '/console/socket.io.esm.min.js']) {
      const response = await fetch(`${proxy.url}${path}`);
      expect([path, response.status, response.headers.get('content-security-policy')]).toEqual([path, 200, CONSOLE_CSP]);
    }
  });

  it('logs no access_token value', async () => {
    const res = await fetch(`${proxy.url}/chat/stream?thread_id=ngx-log&access_token=${token}`);
    await res.text();
    await fetch(`${proxy.url}/health/live?access_token=${token}&x=1`).then((r) => r.text());
    const log = proxy.accessLog();
    expect(log).toContain('/chat/stream?thread_id=ngx-log&access_token=[redacted]');
    expect(log).toContain('/health/live?access_token=[redacted]&x=1');
    expect(log).not.toContain(token);
  });

  it('passes Last-Event-ID through for a rejoin', async () => {
    const first = await openSse(`${proxy.url}/chat/stream`, { headers: bearer(token), body: { message: 'rejoin me via nginx', thread_id: 'ngx-2' } });
    const head: string[] = [];
    let runId = '';
    for await (const frame of first.frames()) {
      if (frame.data === undefined) continue;
      if (frame.id === '1') runId = JSON.parse(frame.data).run_id;
      head.push(frame.id!);
      if (head.length === 4) break;
    }
    first.close();
    const rest = await openSse(`${proxy.url}/chat/stream?thread_id=ngx-2&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': '4' } });
    const ids = (await rest.collect()).filter((f) => f.data !== undefined).map((f) => Number(f.id));
    expect(ids[0]).toBe(5);
    expect(ids).toEqual(ids.map((_, i) => i + 5));
  });

  it('passes heartbeat comments on an idle stream (a queued run waiting for its turn)', async () => {
    const busy = await openSse(`${proxy.url}/chat/stream`, { headers: bearer(token), body: { message: 'keep the thread busy', thread_id: 'ngx-3' } });
    const waiting = await openSse(`${proxy.url}/chat/stream`, {
      headers: bearer(token),
      body: { message: 'wait in line', thread_id: 'ngx-3', multitask_strategy: 'enqueue' },
    });
    const [, frames] = await Promise.all([busy.collect(), waiting.collect()]);
    const firstToken = frames.findIndex((f) => f.data?.startsWith('{"content"'));
    const beats = frames.slice(0, firstToken).filter((f) => f.comment === 'heartbeat');
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(frameData(frames).pop()).toBe('[DONE]');
  });

  it('connects Socket.IO over WebSocket through the proxy', async () => {
    const socket = await connectChat(proxy.url, token, { transports: ['websocket'] });
    let runId: string | undefined;
    const messages = runMessages(socket, () => runId);
    const ack = await request(socket, 'chat', { message: 'socket via nginx', thread_id: 'ngx-4' });
    expect(ack.ok).toBe(true);
    runId = ack.run_id;
    const seen = await messages;
    expect(seen[seen.length - 1]).toMatchObject({ done: true, status: 'success' });
    expect(seen.filter((m) => m.content).map((m) => m.content).join('')).toContain('socket via nginx');
    socket.close();
  });

  it('upgrades the plain WebSocket at /chat/ws through the proxy, pings and all, and passes its 401', async () => {
    const client = await connectChatWs(proxy.url, { protocols: ['riser', `bearer.${token}`] });
    expect(client.ws.protocol).toBe('riser');
    let pongs = 0;
    client.ws.on('ping', () => pongs++);
    client.send({ message: 'plain ws via nginx', thread_id: 'ngx-5' });
    const done = await client.waitFor((f) => f.done);
    expect(done).toMatchObject({ done: true, status: 'success' });
    expect(client.frames.filter((f) => f.content).map((f) => f.content).join('')).toContain('plain ws via nginx');
    // Riser's pings (SSE_HEARTBEAT_MS=200 here) cross the proxy.
    await new Promise((r) => setTimeout(r, 500));
    expect(pongs).toBeGreaterThan(0);
    client.close();
    await expect(connectChatWs(proxy.url, {})).rejects.toMatchObject({ status: 401, body: { error: 'unauthorized' } });
  });
});
