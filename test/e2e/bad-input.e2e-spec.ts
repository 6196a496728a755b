import { startRiser, type RiserTestApp } from '../support/riser.js';

describe('bad input gets a 4xx with a stable code, and nothing half-written', () => {
  let riser: RiserTestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    riser = await startRiser({ env: { MAX_MESSAGE_BYTES: '1000', BODY_LIMIT_BYTES: '4096', DEMO_TOKEN_DELAY_MS: '20' } });
    auth = { authorization: `Bearer ${riser.token('bob')}` };
  });
  afterAll(() => riser.destroy());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${riser.url}/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body });

  it.each([
    ['malformed JSON', '{"message": "hi"', 400, 'invalid_json'],
    ['missing message', '{"thread_id":"x1"}', 400, 'invalid_request'],
    ['empty message', '{"message":"   "}', 400, 'invalid_request'],
    ['non-string message', '{"message": 42}', 400, 'invalid_request'],
    ['bad thread_id characters', '{"message":"hi","thread_id":"a b/c"}', 400, 'invalid_request'],
    ['thread_id too long', JSON.stringify({ message: 'hi', thread_id: 'x'.repeat(129) }), 400, 'invalid_request'],
    ['message over MAX_MESSAGE_BYTES', JSON.stringify({ message: 'é'.repeat(600) }), 413, 'message_too_large'],
    ['body over the body limit', JSON.stringify({ message: 'x'.repeat(5000) }), 413, 'payload_too_large'],
    ['unknown assistant', '{"message":"hi","assistant_id":"nope"}', 404, 'assistant_not_found'],
  ])('%s → %i %s', async (_name, body, status, code) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const json = await res.json();
    expect(json).toMatchObject({ error: code, message: expect.any(String) });
    expect(JSON.stringify(json)).not.toMatch(/at \w+ \(|node_modules/);
  });

  it('names the offending field', async () => {
    const res = await post('{"message":"hi","thread_id":"a b"}');
    expect(await res.json()).toMatchObject({ error: 'invalid_request', field: 'thread_id', message: expect.stringContaining('thread_id') });
  });

  it('rejects a non-JSON content type with 415', async () => {
    const res = await post('message=hi', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('a second message while a run is active on the thread → 409 thread_busy, the first run unharmed', async () => {
    const first = await fetch(`${riser.url}/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ message: 'long one', thread_id: 'busy-1' }),
    });
    expect(first.status).toBe(200);
    const second = await post(JSON.stringify({ message: 'interrupting', thread_id: 'busy-1' }));
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: 'thread_busy' });
    const text = await first.text();
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    const thread: any = await (await fetch(`${riser.url}/chat/threads/busy-1`, { headers: auth })).json();
    expect(thread.messages.map((m: { content: string }) => m.content)).not.toContain('interrupting');
    expect(thread.messages).toHaveLength(2);
  });

  it('a refused request leaves no thread behind', async () => {
    const res = await post('{"message":"hi","thread_id":"never-made","assistant_id":"nope"}');
    expect(res.status).toBe(404);
    const thread = await fetch(`${riser.url}/chat/threads/never-made`, { headers: auth });
    expect(thread.status).toBe(404);
    expect(await thread.json()).toMatchObject({ error: 'thread_not_found' });
  });

  it('unknown routes answer 404 JSON', async () => {
    const res = await fetch(`${riser.url}/nope`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it('keeps serving after all of that', async () => {
    const res = await post(JSON.stringify({ message: 'still there?' }));
    expect(res.status).toBe(200);
    expect((await res.text()).trim().endsWith('data: [DONE]')).toBe(true);
  });
});
