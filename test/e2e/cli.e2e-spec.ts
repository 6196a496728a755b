import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bearer, frameData, jsonClient, openSse } from '@riser/testing';
import { cleanEnv, freePort, mintWithCli, startRiserProcess, type RiserProcess } from '../support/riser-process.js';

/**
 * The service as a new user starts it: the built CLI on its embedded defaults (embedded
 * Postgres in the data folder, generated dev secret, demo agent), with nothing else set.
 */
describe('npm start on the embedded defaults', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let riser: RiserProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'riser-cli-'));
    // A project folder the unprivileged postgres user can enter, as a checkout usually is.
    chmodSync(dataDir, 0o755);
    env = cleanEnv({ PORT: String(await freePort()), RISER_DATA_DIR: dataDir, DEMO_TOKEN_DELAY_MS: '1' });
  });
  afterAll(async () => {
    if (riser && riser.child.exitCode === null) {
      riser.child.kill('SIGKILL');
      await riser.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, accepts a token from `npm run token`, streams, and remembers across a restart', async () => {
    riser = await startRiserProcess(env);
    const minted = mintWithCli(env, ['--sub', 'alice', '--tenant', 'acme', '--roles', 'approver', '--ttl', '1h']);
    expect(minted.status).toBe(0);
    expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const token = minted.stdout;

    const ready = await fetch(`${riser.url}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { postgres: { status: 'up', embedded: true } } });

    const data = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'hello', thread_id: 't1' } })).collect());
    expect(data[0]).toMatchObject({ thread_id: 't1' });
    expect(data[data.length - 1]).toBe('[DONE]');

    // SIGTERM: drains, closes the pool, stops the embedded Postgres, exits 0.
    riser.child.kill('SIGTERM');
    expect(await riser.exited).toEqual({ code: 0, signal: null });
    expect(riser.output()).toMatch(/embedded Postgres stopped/);
    // No credential ever reaches the log.
    expect(riser.output()).not.toContain(token);

    riser = await startRiserProcess(env);
    const thread = await jsonClient(riser.url, bearer(token)).get('/chat/threads/t1');
    expect(thread.body.messages.map((m: { content: string }) => m.content)[0]).toBe('hello');
    const second = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'again', thread_id: 't1' } })).collect());
    const reply = (second.slice(1, -1) as { content: string }[]).map((d) => d.content).join('');
    expect(reply).toContain('message 2 of our conversation. Earlier you said "hello".');
  });

  it('starts again on a data folder left by a killed process (kill -9)', async () => {
    riser ??= await startRiserProcess(env);
    riser.child.kill('SIGKILL');
    await riser.exited;
    // Its Postgres is orphaned and still holds the folder: the next start must cope.
    riser = await startRiserProcess(env);
    const token = mintWithCli(env, ['--sub', 'alice', '--tenant', 'acme']).stdout;
    const thread = await jsonClient(riser.url, bearer(token)).get('/chat/threads/t1');
    expect(thread.status).toBe(200);
    expect(thread.body.messages.length).toBe(4);
    riser.child.kill('SIGTERM');
    expect((await riser.exited).code).toBe(0);
  });

  it('`npm run token` twice at once while the server runs: both tokens work, dist/ is not rebuilt under it', async () => {
    riser = await startRiserProcess(env);
    const main = resolve(__dirname, '../../dist/src/main.js');
    const before = statSync(main);
    const [one, two] = await Promise.all([npmToken(env, ['--sub', 'alice', '--tenant', 'acme']), npmToken(env, ['--sub', 'bob', '--tenant', 'acme'])]);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(two).toMatchObject({ code: 0, stderr: '' });
    const after = statSync(main);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    for (const token of [one.stdout, two.stdout]) {
      expect((await fetch(`${riser.url}/chat/threads/t1`, { headers: bearer(token) })).status).not.toBe(401);
    }
    riser.child.kill('SIGTERM');
    expect((await riser.exited).code).toBe(0);
  });

  it('`npm run token` refuses a --ttl longer than JWT_MAX_TTL, which the server would refuse', () => {
    const tooLong = mintWithCli(env, ['--sub', 'alice', '--ttl', '25h']);
    expect(tooLong).toMatchObject({ status: 2, stdout: '' });
    expect(tooLong.stderr).toMatch(/JWT_MAX_TTL/);
    expect(mintWithCli({ ...env, JWT_MAX_TTL: '30m' }, ['--sub', 'alice', '--ttl', '1h']).status).toBe(2);
    expect(mintWithCli({ ...env, JWT_MAX_TTL: '30m' }, ['--sub', 'alice', '--ttl', '30m']).status).toBe(0);
  });

  it('fails closed: with the dev secret and no HOST it listens on 127.0.0.1 only, and says so', async () => {
    riser = await startRiserProcess(env);
    expect(riser.output()).toMatch(/listening on 127\.0\.0\.1 only: it uses the generated dev secret/);
    // This machine's other addresses do not reach it.
    const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) {
      await expect(fetch(`http://${external.address}:${env.PORT}/health/live`)).rejects.toThrow();
    }
    expect((await fetch(`${riser.url}/health/live`)).status).toBe(200);
    riser.child.kill('SIGTERM');
    expect((await riser.exited).code).toBe(0);
  });

  it('keeps the credentials a graph’s error quotes out of the log', async () => {
    riser = await startRiserProcess({ ...env, LANGGRAPH_JSON: resolve(__dirname, '../fixtures/process-langgraph.json') });
    const token = mintWithCli(env, ['--sub', 'alice', '--tenant', 'acme']).stdout;
    const frames = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'hi', assistant_id: 'leaky' } })).collect());
    expect(frames).toContainEqual(expect.objectContaining({ error: 'graph_error' }));
    riser.child.kill('SIGTERM');
    await riser.exited;
    const log = riser.output();
    expect(log).toMatch(/"err":"GraphLeakError: could not reach postgres:\/\/\[redacted\].*"msg":"run failed"/);
    for (const secret of ['hunter2', 'sk-live-ABCDEFGHIJKLMNOPQRSTU', 'db.internal']) expect(log).not.toContain(secret);
  });

  it('keeps access tokens out of the logs, even in a query string', async () => {
    riser = await startRiserProcess({ ...env, LOG_LEVEL: 'debug' });
    const token = mintWithCli(env, ['--sub', 'alice', '--tenant', 'acme']).stdout;
    await fetch(`${riser.url}/chat/stream?thread_id=t1&access_token=${token}`);
    await fetch(`${riser.url}/chat/threads/t1`, { headers: bearer(token) });
    riser.child.kill('SIGTERM');
    await riser.exited;
    expect(riser.output()).toContain('/chat/stream?thread_id=t1&access_token=[redacted]');
    expect(riser.output()).not.toContain(token);
  });
});

/** The real `npm run -s token` (npm and its script), as the README tells a user to run it. */
function npmToken(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npm', ['run', '-s', 'token', '--', ...args], { cwd: resolve(__dirname, '../..'), env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout: stdout.trim(), stderr })));
}

describe('configuration errors stop the process with a message naming the variable', () => {
  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ SSE_HEARTBEAT_STYLE: 'loud' }, /SSE_HEARTBEAT_STYLE/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ NODE_ENV: 'production' }, /JWT_SECRET or JWT_JWKS_URI/],
  ])('%o', async (bad, message) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'riser-cfg-'));
    try {
      const proc = startRiserProcess(cleanEnv({ PORT: String(await freePort()), RISER_DATA_DIR: dataDir, ...bad }), 20_000);
      await expect(proc).rejects.toThrow(message);
      await expect(proc).rejects.toThrow(/exited with 1/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
