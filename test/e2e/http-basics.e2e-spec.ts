import { bearer, frameData, openSse } from '@riser/testing';
import { startRiser } from '../support/riser.js';

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/chat/stream`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('answers any origin in development by default', async () => {
    const riser = await startRiser({ env: { NODE_ENV: 'development' } });
    try {
      const res = await preflight(riser.url, 'https://anything.test');
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://anything.test');
    } finally {
      await riser.destroy();
    }
  });

  it('answers only allowlisted origins when CORS_ORIGINS is set', async () => {
    const riser = await startRiser({ env: { CORS_ORIGINS: 'https://app.acme.test, https://admin.acme.test' } });
    try {
      const ok = await preflight(riser.url, 'https://admin.acme.test');
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://admin.acme.test');
      expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
      const stream = await fetch(`${riser.url}/chat/stream`, {
        method: 'POST',
        headers: { origin: 'https://app.acme.test', 'content-type': 'application/json', ...bearer(riser.token('u')) },
        body: JSON.stringify({ message: 'hi' }),
      });
      expect(stream.headers.get('access-control-allow-origin')).toBe('https://app.acme.test');
      await stream.text();
      const denied = await preflight(riser.url, 'https://evil.test');
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await riser.destroy();
    }
  });

  it('answers no origin in production unless configured', async () => {
    const riser = await startRiser({ env: { NODE_ENV: 'production' } });
    try {
      const res = await preflight(riser.url, 'https://app.acme.test');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await riser.destroy();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets a short run finish, stops a long one with a final frame, refuses new runs with 503', async () => {
    const riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '100', SHUTDOWN_GRACE_MS: '600' } });
    const token = riser.token('gina');
    const long = await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'a long answer please', thread_id: 'sd-1' } });
    const frames = long.collect();
    await new Promise((r) => setTimeout(r, 250));
    const closing = riser.close();
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(`${riser.url}/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ message: 'too late' }),
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'shutting_down' });
    const data = frameData(await frames);
    expect(data[data.length - 2]).toEqual({ error: 'shutdown', message: expect.any(String) });
    expect(data[data.length - 1]).toBe('[DONE]');
    await closing;
    await riser.destroy();
  });
});
