import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { bearer, hashApiKey } from '../support/auth-helpers.js';
import { jsonClient, openSse } from '@riser/testing';
import { startJwksServer } from '../fixtures/jwks-server.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('auth: default-deny, every bad token is a 401', () => {
  let riser: RiserTestApp;
  const secret = 'a'.repeat(40);
  const apiKey = 'rsk_test_key_for_service_account_000';

  beforeAll(async () => {
    riser = await startRiser({
      env: { JWT_SECRET: secret, JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'riser', API_KEYS: `sha256:${hashApiKey(apiKey)}=svc@acme#approver` },
    });
  });
  afterAll(() => riser.destroy());

  const sign = (claims: object, options: jwt.SignOptions = {}, key: jwt.Secret = secret) =>
    jwt.sign(claims, key, { algorithm: 'HS256', issuer: 'https://issuer.test', audience: 'riser', expiresIn: '5m', subject: 'alice', ...options });
  const post = (headers: Record<string, string>, body: object = { message: 'hi' }, query = '') =>
    fetch(`${riser.url}/chat/stream${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('accepts a valid token', async () => {
    const res = await post(bearer(sign({ tenant: 'acme' })));
    expect(res.status).toBe(200);
    expect((await res.text()).trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('accepts tokens up to JWT_MAX_TTL, with or without iat', async () => {
    for (const token of [sign({}, { expiresIn: 24 * 3600 }), sign({}, { noTimestamp: true, expiresIn: 3600 })]) {
      const res = await post(bearer(token));
      expect(res.status).toBe(200);
      await res.text();
    }
  });

  const bad: [string, () => Record<string, string>][] = [
    ['no Authorization header', () => ({})],
    ['a non-Bearer scheme', () => ({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })],
    ['a malformed token', () => bearer('not.a.jwt')],
    ['an expired token', () => bearer(sign({}, { expiresIn: -60 }))],
    ['a token signed with another key', () => bearer(sign({}, {}, 'b'.repeat(40)))],
    ['a token signed with "none"', () => bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', iss: 'https://issuer.test', aud: 'riser', exp: Math.floor(Date.now() / 1000) + 300 })}.`)],
    ['an algorithm outside the allowlist (HS512)', () => bearer(sign({}, { algorithm: 'HS512' }))],
    ['the wrong issuer', () => bearer(sign({}, { issuer: 'https://evil.test' }))],
    ['the wrong audience', () => bearer(sign({}, { audience: 'someone-else' }))],
    ['no subject', () => bearer(jwt.sign({ tenant: 'acme' }, secret, { issuer: 'https://issuer.test', audience: 'riser', expiresIn: '5m' }))],
    ['a valid signature over a tampered payload', () => {
      const [header, , signature] = sign({}).split('.');
      return bearer(`${header}.${b64({ sub: 'mallory', iss: 'https://issuer.test', aud: 'riser', exp: 9e9 })}.${signature}`);
    }],
    ['a signature made with a guessed secret', () => {
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'mallory', iss: 'https://issuer.test', aud: 'riser', exp: 9e9 })}`;
      return bearer(`${unsigned}.${createHmac('sha256', 'secret').update(unsigned).digest('base64url')}`);
    }],
    ['an unknown API key', () => ({ 'x-api-key': 'rsk_nope' })],
    ['a token without exp (it would never expire)', () => bearer(jwt.sign({}, secret, { issuer: 'https://issuer.test', audience: 'riser', subject: 'alice' }))],
    ['a token issued for longer than JWT_MAX_TTL (24 h), even near its end', () =>
      bearer(sign({ iat: Math.floor(Date.now() / 1000) - 24 * 3600 }, { expiresIn: 24 * 3600 + 120 }))],
    ['a token without iat expiring later than JWT_MAX_TTL from now', () => bearer(sign({}, { noTimestamp: true, expiresIn: 24 * 3600 + 120 }))],
    ['a subject with a NUL character', () => bearer(sign({}, { subject: 'ali\u0000ce' }))],
    ['a tenant with an unpaired surrogate', () => bearer(sign({ tenant: 'acme\ud800' }))],
    ['an iat in the future that hides a longer life', () => bearer(sign({ iat: Math.floor(Date.now() / 1000) + 48 * 3600 }, { expiresIn: 3600 }))],
  ];

  it.each(bad)('refuses %s with 401 unauthorized', async (_name, headers) => {
    const res = await post(headers());
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    expect(JSON.stringify(body)).not.toContain(secret);
  });

  it('accepts an API key from API_KEYS as the principal it maps to', async () => {
    const res = await post({ 'x-api-key': apiKey }, { message: 'as a service', thread_id: 'svc-thread' });
    expect(res.status).toBe(200);
    await res.text();
    const mine = await jsonClient(riser.url, { 'x-api-key': apiKey }).get('/chat/threads/svc-thread');
    expect(mine.status).toBe(200);
    // The same subject in another tenant is someone else.
    const other = await jsonClient(riser.url, bearer(sign({ tenant: 'other' }, { subject: 'svc' }))).get('/chat/threads/svc-thread');
    expect(other.status).toBe(404);
  });

  it('accepts access_token in the query only on GET SSE routes', async () => {
    const token = sign({ tenant: 'acme' });
    expect((await post({}, { message: 'x' }, `?access_token=${token}`)).status).toBe(401);
    const first = await post(bearer(token), { message: 'to rejoin', thread_id: 'query-token' });
    const runId = JSON.parse(/data: (.*)/.exec(await first.text())![1]).run_id;
    const viaQuery = await openSse(`${riser.url}/chat/stream?thread_id=query-token&run_id=${runId}&access_token=${token}`);
    expect(viaQuery.status).toBe(200);
    const frames = await viaQuery.collect();
    expect(frames[frames.length - 1].data).toBe('[DONE]');
    expect((await fetch(`${riser.url}/chat/threads/query-token?access_token=${token}`)).status).toBe(401);
  });

  it('answers another principal’s thread with 404, never its data', async () => {
    const alice = bearer(sign({ tenant: 'acme' }));
    await (await post(alice, { message: 'my secret plan', thread_id: 'alice-private' })).text();
    for (const intruder of [sign({ tenant: 'acme' }, { subject: 'bob' }), sign({ tenant: 'globex' })]) {
      const read = await jsonClient(riser.url, bearer(intruder)).get('/chat/threads/alice-private');
      expect(read.status).toBe(404);
      expect(read.body).toMatchObject({ error: 'thread_not_found' });
      expect(JSON.stringify(read.body)).not.toContain('secret plan');
      const write = await post(bearer(intruder), { message: 'hijack', thread_id: 'alice-private' });
      expect(write.status).toBe(404);
      expect(await write.json()).toMatchObject({ error: 'thread_not_found' });
      const rejoin = await fetch(`${riser.url}/chat/stream?thread_id=alice-private`, { headers: bearer(intruder) });
      expect(rejoin.status).toBe(404);
    }
    const thread = await jsonClient(riser.url, alice).get('/chat/threads/alice-private');
    expect(thread.body.messages.map((m: { content: string }) => m.content)).not.toContain('hijack');
  });

  it('keeps health public and everything else closed', async () => {
    expect((await fetch(`${riser.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${riser.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${riser.url}/chat/threads/anything`)).status).toBe(401);
  });
});

describe('auth with JWKS (RS256)', () => {
  let riser: RiserTestApp;
  let idp: Awaited<ReturnType<typeof startJwksServer>>;

  beforeAll(async () => {
    idp = await startJwksServer();
    riser = await startRiser({ env: { JWT_SECRET: '', JWT_JWKS_URI: idp.url } });
  });
  afterAll(async () => {
    await riser.destroy();
    await idp.close();
  });

  const get = (token: string) => fetch(`${riser.url}/chat/threads/none`, { headers: bearer(token) });

  it('accepts a token signed by the identity provider', async () => {
    const res = await get(idp.sign({ sub: 'carol' }));
    expect(res.status).toBe(404); // authenticated; the thread just does not exist
    expect(await res.json()).toMatchObject({ error: 'thread_not_found' });
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const forged = jwt.sign({ sub: 'mallory' }, idp.publicPem, { algorithm: 'HS256', keyid: 'test-key-1' });
    expect((await get(forged)).status).toBe(401);
  });

  it('refuses an expired RS256 token and one with an unknown key id', async () => {
    expect((await get(idp.sign({ sub: 'carol' }, { expiresIn: -10 }))).status).toBe(401);
    expect((await get(idp.sign({ sub: 'carol' }, { keyid: 'other' }))).status).toBe(401);
  });
});
