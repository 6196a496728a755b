import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, createTestDatabase, frameData, jsonClient, openSse, tokenFactory } from '@riser/testing';
import { cleanEnv, freePort, startRiserProcess, type RiserProcess } from '../support/riser-process.js';

const SECRET = 'k'.repeat(48);
const token = tokenFactory(SECRET)('lars', { tenant: 'acme' });

/** A stand-in for the LangSmith API: answers everything, keeps what it was sent. */
async function fakeLangSmith() {
  const received: { method: string; url: string; apiKey?: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, apiKey: req.headers['x-api-key'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(req.url?.startsWith('/info') ? 200 : 202, { 'content-type': 'application/json' }).end(req.url?.startsWith('/info') ? '{"version":"0.0.0"}' : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('LangSmith (LANGSMITH_TRACING) with Riser’s token path, against a local fake endpoint', () => {
  let riser: RiserProcess;
  let langsmith: Awaited<ReturnType<typeof fakeLangSmith>>;
  let db: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    langsmith = await fakeLangSmith();
    db = await createTestDatabase();
    riser = await startRiserProcess(
      cleanEnv({
        PORT: String(await freePort()),
        DATABASE_URL: db.url,
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'warn',
        DEMO_TOKEN_DELAY_MS: '0',
        LANGSMITH_TRACING: 'true',
        LANGSMITH_API_KEY: 'ls-test-key',
        LANGSMITH_ENDPOINT: langsmith.url,
        LANGSMITH_PROJECT: 'riser-e2e',
      }),
    );
  });
  afterAll(async () => {
    riser.child.kill('SIGTERM');
    await riser.exited;
    await langsmith.close();
    await db.drop();
  });

  it('every run is traced to LangSmith, and its tokens still stream whole', async () => {
    const data = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'trace to langsmith', thread_id: 'ls-thread-1' } })).collect());
    const text = data.filter((d: any) => d?.content).map((d: any) => d.content).join('');
    const thread = await jsonClient(riser.url, bearer(token)).get('/chat/threads/ls-thread-1');
    expect(text).toBe(thread.body.messages[1].content);
    expect(text).toContain('trace to langsmith');
    const deadline = Date.now() + 15_000;
    const posted = () => langsmith.received.filter((r) => r.method === 'POST' && r.body.includes('ls-thread-1'));
    while (!posted().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(posted().length).toBeGreaterThan(0);
    expect(posted()[0].apiKey).toBe('ls-test-key');
    expect(posted().map((r) => r.body).join('\n')).toContain('riser-e2e');
    expect(((await (await fetch(`${riser.url}/info`)).json()) as { flags: { langsmith: boolean } }).flags.langsmith).toBe(true);
  });

  it('refuses the Platform API’s per-run langsmith_tracer explicitly (422 naming it)', async () => {
    const api = jsonClient(riser.url, bearer(token));
    const refused = await api.post('/runs/wait', { assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'hi' }] }, langsmith_tracer: { project_name: 'other' } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'invalid_request', field: 'langsmith_tracer', message: expect.stringContaining('LANGSMITH_TRACING') });
  });
});
