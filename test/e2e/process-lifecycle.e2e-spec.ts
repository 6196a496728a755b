import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTestDatabase, frameData, jsonClient, openSse, tokenFactory, bearer, type SseFrame } from '@riser/testing';
import { queryDb } from '../support/db.js';
import { rawSse } from '../support/raw-sse.js';
import { until } from '../support/wait.js';
import { cleanEnv, freePort, startRiserProcess, type RiserProcess } from '../support/riser-process.js';

const SECRET = 's'.repeat(48);
const token = tokenFactory(SECRET)('pat');

async function processEnv(extra: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const env = cleanEnv({ PORT: String(await freePort()), DATABASE_URL: db.url, JWT_SECRET: SECRET, LOG_LEVEL: 'warn', ...extra });
  return { env, db };
}

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);


describe('SIGTERM during 20 live streams', () => {
  it('every client gets a final frame, no run stays running, the next start is clean', async () => {
    const { env, db } = await processEnv({ DEMO_TOKEN_DELAY_MS: '40', SHUTDOWN_GRACE_MS: '300' });
    let riser: RiserProcess | undefined = await startRiserProcess(env);
    try {
      const streams = await Promise.all(
        Array.from({ length: 20 }, (_, i) => openSse(`${riser!.url}/chat/stream`, { headers: bearer(token), body: { message: `stream ${i}`, thread_id: `term-${i}` } })),
      );
      const collected = streams.map((s) => s.collect());
      await new Promise((r) => setTimeout(r, 200));
      riser.child.kill('SIGTERM');
      const results = (await Promise.all(collected)).map(frameData);
      expect(await riser.exited).toEqual({ code: 0, signal: null });
      for (const data of results) {
        expect(data[data.length - 1]).toBe('[DONE]');
        expect(data[data.length - 2]).toEqual({ error: 'shutdown', message: expect.any(String) });
      }
      const running = await queryDb(db.url, `SELECT count(*)::int AS n FROM riser.runs WHERE status IN ('running', 'pending')`);
      expect(running[0].n).toBe(0);
      const runs = await queryDb(db.url, `SELECT status, error_code FROM riser.runs`);
      expect(runs).toHaveLength(20);
      expect(runs.every((r) => r.status === 'error' && r.error_code === 'shutdown')).toBe(true);

      riser = await startRiserProcess(env);
      const again = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'after the restart', thread_id: 'term-0' } })).collect());
      expect(again[again.length - 1]).toBe('[DONE]');
      expect(again.some((d: any) => d?.error)).toBe(false);
    } finally {
      riser?.child.kill('SIGKILL');
      await riser?.exited;
      await db.drop();
    }
  });
});

describe('SIGTERM with a delayed run (after_seconds) not yet due', () => {
  it('does not wait the grace period for it: the run ends as shutdown, the process exits', async () => {
    const { env, db } = await processEnv({ SHUTDOWN_GRACE_MS: '30000' });
    const riser = await startRiserProcess(env);
    try {
      const created = await jsonClient(riser.url, bearer(token)).post('/threads/delayed-term/runs', {
        assistant_id: 'agent',
        input: { messages: [{ role: 'user', content: 'in an hour' }] },
        after_seconds: 3600,
        if_not_exists: 'create',
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ status: 'pending' });
      const stoppingAt = Date.now();
      riser.child.kill('SIGTERM');
      expect(await riser.exited).toEqual({ code: 0, signal: null });
      // Well inside the 30 s grace a running run would get.
      expect(Date.now() - stoppingAt).toBeLessThan(15_000);
      const runs = await queryDb(db.url, `SELECT status, error_code FROM riser.runs`);
      expect(runs).toEqual([{ status: 'error', error_code: 'shutdown' }]);
    } finally {
      riser.child.kill('SIGKILL');
      await riser.exited;
      await db.drop();
    }
  });
});

describe('kill -9 during a run', () => {
  it('the next start marks the run interrupted_by_restart and the thread takes new messages', async () => {
    const { env, db } = await processEnv({ DEMO_TOKEN_DELAY_MS: '100' });
    let riser: RiserProcess | undefined = await startRiserProcess(env);
    try {
      const stream = await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'cut me off', thread_id: 'k9' } });
      let runId = '';
      for await (const frame of stream.frames()) {
        if (frame.id === '1') runId = JSON.parse(frame.data!).run_id;
        if (frame.data?.startsWith('{"content"')) break;
      }
      riser.child.kill('SIGKILL');
      await riser.exited;
      stream.close();
      const [before] = await queryDb(db.url, 'SELECT status FROM riser.runs WHERE run_id = $1', [runId]);
      expect(before.status).toBe('running');

      riser = await startRiserProcess(env);
      const [after] = await queryDb(db.url, 'SELECT status, error_code FROM riser.runs WHERE run_id = $1', [runId]);
      expect(after).toEqual({ status: 'error', error_code: 'interrupted_by_restart' });
      const [thread] = await queryDb(db.url, 'SELECT status FROM riser.threads WHERE thread_id = $1', ['k9']);
      expect(thread.status).toBe('error');
      const next = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'are you back?', thread_id: 'k9' } })).collect());
      expect(next[next.length - 1]).toBe('[DONE]');
      expect((next.slice(1, -1) as { content: string }[]).map((d) => d.content).join('')).toContain('are you back?');
    } finally {
      riser?.child.kill('SIGKILL');
      await riser?.exited;
      await db.drop();
    }
  });
});

/**
 * A client that stops reading while a run streams 100,000 tokens (~100 bytes each): the run
 * completes at its own pace, server memory stays what the run's bounded log costs (compared
 * with the same run read by a fast client), the slow client is ended with slow_consumer and
 * gets every frame exactly once by rejoining from its last id.
 */
describe('a stalled reader during a 100,000-token run', () => {
  const TOKENS = 100_000;
  const logCaps = { RUN_LOG_MAX_EVENTS: '200000', RUN_LOG_MAX_BYTES: String(128 * 1024 * 1024), RUN_LOG_TTL_MS: '600000' };

  async function measure(read: (riser: RiserProcess, databaseUrl: string) => Promise<SseFrame[]>) {
    const { env, db } = await processEnv({ ...logCaps, LANGGRAPH_JSON: resolve(__dirname, '../fixtures/process-langgraph.json') });
    const riser = await startRiserProcess(env);
    let result;
    try {
      // Warm up: the first run loads what every run needs.
      await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'count 2000', assistant_id: 'counter' } })).collect();
      const baseline = rssKb(riser.child.pid!);
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rssKb(riser.child.pid!))), 50);
      const started = Date.now();
      const frames = await read(riser, db.url);
      clearInterval(sampler);
      peak = Math.max(peak, rssKb(riser.child.pid!));
      const [run] = await queryDb(db.url, `SELECT status, extract(epoch from ended_at - created_at) * 1000 AS ms FROM riser.runs ORDER BY created_at DESC LIMIT 1`);
      result = { frames, growthMb: (peak - baseline) / 1024, baselineMb: baseline / 1024, runMs: Number(run.ms), wallMs: Date.now() - started, status: run.status, db };
    } finally {
      riser.child.kill('SIGTERM');
    }
    // Stops cleanly, even with a client that never read its stream to the end.
    expect(await riser.exited).toEqual({ code: 0, signal: null });
    return result;
  }

  const checkExactlyOnce = (frames: SseFrame[]) => {
    const real = frames.filter((f) => f.data !== undefined && !f.data.includes('"slow_consumer"'));
    expect(real.map((f) => Number(f.id))).toEqual(real.map((_, i) => i + 1));
    const contents = real.filter((f) => f.data!.startsWith('{"content"'));
    expect(contents).toHaveLength(TOKENS);
    expect(JSON.parse(contents[TOKENS - 1].data!).content).toMatch(/^t0100000 /);
    expect(real[real.length - 1].data).toBe('[DONE]');
  };

  it('keeps memory bounded, completes the run, and the client rejoins to every frame exactly once', async () => {
    const fast = await measure(async (riser) => {
      const frames = await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: `count ${TOKENS}`, assistant_id: 'counter', thread_id: 'fast' } })).collect();
      // A reader on a loaded machine can fall behind too: it rejoins as any client would.
      const last = frames.filter((f) => f.data !== undefined).pop()!;
      if (!last.data!.includes('"slow_consumer"')) return frames;
      const runId = JSON.parse(frames.find((f) => f.id === '1')!.data!).run_id;
      const rest = await openSse(`${riser.url}/chat/stream?thread_id=fast&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': last.id! } });
      return [...frames, ...(await rest.collect())];
    });
    checkExactlyOnce(fast.frames);
    await fast.db.drop();

    let slowConsumerSeen = false;
    const stalled = await measure(async (riser, databaseUrl) => {
      const client = rawSse(riser.url, '/chat/stream', token, { message: `count ${TOKENS}`, assistant_id: 'counter', thread_id: 'stalled' });
      await until(async () => client.frames.length, (n) => n >= 3, 10_000);
      client.socket.pause();
      const runId = JSON.parse(client.frames[0].data!).run_id;
      // The run goes on while nobody reads.
      const ended = await until(
        () => queryDb(databaseUrl, 'SELECT status FROM riser.runs WHERE run_id = $1', [runId]),
        (rows) => rows[0]?.status === 'success',
        120_000,
      );
      expect(ended[0].status).toBe('success');
      client.socket.resume();
      await client.ended;
      client.socket.destroy();
      expect(client.status()).toBe('200');
      const got = client.frames.filter((f) => f.data !== undefined);
      const last = got[got.length - 1];
      slowConsumerSeen = last.data!.includes('"slow_consumer"');
      if (last.data === '[DONE]') return got;
      const rest = await openSse(`${riser.url}/chat/stream?thread_id=stalled&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': last.id! } });
      return [...got, ...(await rest.collect())];
    });
    checkExactlyOnce(stalled.frames);
    expect(slowConsumerSeen).toBe(true);
    expect(stalled.status).toBe('success');
    console.log(
      `100k-token run: RSS growth ${fast.growthMb.toFixed(1)} MB with a fast reader, ${stalled.growthMb.toFixed(1)} MB with a stalled one ` +
        `(baseline ${stalled.baselineMb.toFixed(0)} MB; run ${(stalled.runMs / 1000).toFixed(1)} s)`,
    );
    // A stalled reader costs no more than the run's own (bounded) log does: compared with the
    // same run read by a fast client, in the same process build, on the same machine.
    expect(stalled.growthMb).toBeLessThan(fast.growthMb * 1.5 + 32);
    // And an absolute ceiling. The peak is mostly garbage of the 100,000-token run (LangChain's
    // chunk objects; the live heap after the run is ~85 MB, the kept log ~30 MB of it), so it
    // moves with when V8 collects: 196–254 MB measured for both readers on this 2-core VM.
    expect(stalled.growthMb).toBeLessThan(320);
    await stalled.db.drop();
  }, 300_000);
});
