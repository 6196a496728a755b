import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const FIVE_MB = 5 * 1024 * 1024;
const CLIENT = resolve(__dirname, '../fixtures/post-chunked.mjs');

/**
 * A body over BODY_LIMIT_BYTES, sent by a client in its own process as it streams one:
 * the client reads a 413 JSON answer, rather than failing on a connection reset while it is
 * still sending (fetch reports EPIPE/ECONNRESET and never sees the status).
 */
describe('an oversized body gets a readable 413', () => {
  let riser: RiserTestApp;
  beforeAll(async () => {
    riser = await startRiser();
  });
  afterAll(() => riser.destroy());

  const post = async (path: string, chunk: number) => {
    const { stdout } = await promisify(execFile)(process.execPath, [CLIENT, `${riser.url}${path}`, riser.token('alice'), String(FIVE_MB), String(chunk)]);
    return JSON.parse(stdout) as { status?: number; body?: string; error?: string };
  };

  it.each([
    ['POST /chat/stream', '/chat/stream'],
    ['POST /threads/:id/runs/stream', '/threads/big-1/runs/stream'],
  ])('%s: 5 MB chunked in 1 KB pieces → 413 payload_too_large as JSON', async (_name, path) => {
    const res = await post(path, 1024);
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'payload_too_large', message: expect.any(String) });
  });

  it('5 MB with a Content-Length (refused before reading) → 413 as JSON too', async () => {
    const res = await post('/chat/stream', 0);
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'payload_too_large' });
  });

  it('keeps serving afterwards', async () => {
    expect((await fetch(`${riser.url}/health/live`)).status).toBe(200);
  });
});
