import { bearer, openSse } from '@riser/testing';
import { expectSecurityHeaders } from '../support/security-headers.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

describe('security headers on every answer, JSON and SSE', () => {
  let riser: RiserTestApp;
  let token: string;
  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '20' } });
    token = riser.token('hana');
  });
  afterAll(() => riser.destroy());

  it.each([
    ['a JSON answer', '/health/live', {}],
    ['a JSON error (401)', '/chat/threads/x', {}],
    ['a JSON error (404)', '/nope', { auth: true }],
  ])('%s', async (_name, path, opts) => {
    const res = await fetch(`${riser.url}${path}`, { headers: (opts as { auth?: boolean }).auth ? bearer(token) : {} });
    expectSecurityHeaders(res.headers);
  });

  it('Socket.IO’s own HTTP answers (the polling transport)', async () => {
    const res = await fetch(`${riser.url}/socket.io/?EIO=4&transport=polling`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/"sid"/);
    expectSecurityHeaders(res.headers);
  });

  it.each([
    ['the simple protocol', '/chat/stream', { message: 'headers please', thread_id: 'sec-1' }],
    ['the Platform API', '/threads/sec-2/runs/stream', { assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'hi' }] }, if_not_exists: 'create', stream_mode: ['messages-tuple'] }],
  ])('an SSE stream of %s', async (_name, path, body) => {
    const res = await openSse(`${riser.url}${path}`, { headers: bearer(token), body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expectSecurityHeaders(res.headers);
    const frames = (await res.collect()).filter((f) => f.data !== undefined);
    expect(frames.length).toBeGreaterThan(10);
  });
});
