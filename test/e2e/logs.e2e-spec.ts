import { bearer, connectChat, createTestDatabase, frameData, openSse, tokenFactory } from '@riser/testing';
import { cleanEnv, freePort, startRiserProcess, type RiserProcess } from '../support/riser-process.js';

const SECRET = 'l'.repeat(48);
const tokens = tokenFactory(SECRET);

type Line = Record<string, any>;

/** Waits for the process to have written what `seen` looks for (its output is asynchronous). */
async function until(seen: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!seen()) {
    if (Date.now() > deadline) throw new Error('the expected log lines never came');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('correlated logs (a real process, LOG_LEVEL=info)', () => {
  let riser: RiserProcess;
  let db: { url: string; drop(): Promise<void> };
  const token = tokens('lena', { tenant: 'acme', roles: ['approver'] });
  const lines = (): Line[] =>
    riser
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);

  beforeAll(async () => {
    db = await createTestDatabase();
    riser = await startRiserProcess(cleanEnv({ PORT: String(await freePort()), DATABASE_URL: db.url, JWT_SECRET: SECRET, LOG_LEVEL: 'info', DEMO_TOKEN_DELAY_MS: '0' }));
  });
  afterAll(async () => {
    riser.child.kill('SIGTERM');
    await riser.exited;
    await db.drop();
  });

  const chat = async (body: object, requestId?: string) => {
    const headers = { ...bearer(token), ...(requestId && { 'x-request-id': requestId }) };
    const response = await openSse(`${riser.url}/chat/stream`, { headers, body });
    return { response, data: frameData(await response.collect()) };
  };

  it('every line of a run carries its run_id, thread_id, tenant and the id of the request that started it', async () => {
    const { data } = await chat({ message: 'hello logs', thread_id: 'log-1' }, 'client-req-42');
    const runId = (data[0] as { run_id: string }).run_id;
    await until(() => lines().some((l) => l.run_id === runId && l.msg === 'request completed'));
    const ofRun = lines().filter((l) => l.run_id === runId);
    expect(ofRun.map((l) => l.msg)).toEqual(expect.arrayContaining(['run started', 'run ended', 'request completed']));
    for (const line of ofRun) expect(line).toMatchObject({ reqId: 'client-req-42', run_id: runId, thread_id: 'log-1', tenant: 'acme' });
    // Each line names its request once, whoever wrote it (Fastify binds reqId itself).
    const raw = riser.output().split('\n').filter((l) => l.includes(runId));
    for (const l of raw) expect(l.match(/"reqId"/g)).toHaveLength(1);
  });

  it('a request without x-request-id gets one, and is told it', async () => {
    const { response, data } = await chat({ message: 'no id', thread_id: 'log-2' });
    const reqId = response.headers.get('x-request-id');
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    const runId = (data[0] as { run_id: string }).run_id;
    await until(() => lines().some((l) => l.run_id === runId && l.msg === 'run ended'));
    expect(lines().filter((l) => l.run_id === runId).every((l) => l.reqId === reqId)).toBe(true);
    // Browsers may read it too.
    const cors = await fetch(`${riser.url}/health/live`, { headers: { origin: 'https://app.test', 'x-request-id': 'browser-1' } });
    expect(cors.headers.get('x-request-id')).toBe('browser-1');
    expect(cors.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('a run a decision starts carries the deciding request’s id; the run it resumes keeps its own', async () => {
    const asked = await chat({ message: 'please refund order A-9 $40', thread_id: 'log-3' }, 'ask-1');
    const interruptId = (asked.data.find((d: any) => d?.interrupt) as any).interrupts[0].id;
    const decided = await chat({ thread_id: 'log-3', resume: { interrupt_id: interruptId, decision: 'approve' } }, 'decide-1');
    expect(decided.data.at(-1)).toBe('[DONE]');
    const askRun = (asked.data[0] as { run_id: string }).run_id;
    const resumeRun = (decided.data[0] as { run_id: string }).run_id;
    await until(() => lines().some((l) => l.run_id === resumeRun && l.msg === 'request completed'));
    expect(lines().filter((l) => l.run_id === askRun).every((l) => l.reqId === 'ask-1' && l.thread_id === 'log-3')).toBe(true);
    const resumed = lines().filter((l) => l.run_id === resumeRun);
    expect(resumed.length).toBeGreaterThanOrEqual(3);
    expect(resumed.every((l) => l.reqId === 'decide-1' && l.tenant === 'acme')).toBe(true);
  });

  it('socket connects, disconnects and refused handshakes are logged, never with the token', async () => {
    const socket = await connectChat(riser.url, token);
    const socketId = socket.id;
    socket.close();
    const forged = tokens('mallory', { tenant: 'acme' }).slice(0, -4) + 'AAAA';
    await expect(connectChat(riser.url, forged)).rejects.toThrow();
    await until(() => lines().some((l) => l.msg === 'socket handshake refused') && lines().some((l) => l.msg === 'socket disconnected'));
    expect(lines().find((l) => l.msg === 'socket connected' && l.socket_id === socketId)).toMatchObject({ sub: 'lena', tenant: 'acme' });
    expect(lines().find((l) => l.msg === 'socket disconnected' && l.socket_id === socketId)).toMatchObject({ sub: 'lena', reason: expect.any(String) });
    expect(lines().find((l) => l.msg === 'socket handshake refused')).toMatchObject({ reason: 'invalid' });
    const output = riser.output();
    expect(output).not.toContain(token);
    expect(output).not.toContain(forged);
    expect(output).not.toContain(token.split('.')[2]);
  });

  it('a run that waited in the queue logs the id of the request that admitted it', async () => {
    const admitted = await fetch(`${riser.url}/threads/log-4/runs`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json', 'x-request-id': 'queued-req-7' },
      body: JSON.stringify({ assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'later' }] }, after_seconds: 1, if_not_exists: 'create' }),
    });
    const { run_id: runId } = (await admitted.json()) as { run_id: string };
    await fetch(`${riser.url}/threads/log-4/runs/${runId}/join`, { headers: bearer(token) });
    await until(() => lines().some((l) => l.run_id === runId && l.msg === 'run ended'));
    const ofRun = lines().filter((l) => l.run_id === runId && l.msg !== 'request completed' && l.msg !== 'incoming request');
    expect(ofRun.map((l) => l.msg)).toEqual(expect.arrayContaining(['run scheduled', 'run ended']));
    for (const line of ofRun) expect(line).toMatchObject({ reqId: 'queued-req-7', thread_id: 'log-4', tenant: 'acme' });
  });
});
