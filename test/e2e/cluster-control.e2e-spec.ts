import { Client } from '@langchain/langgraph-sdk';
import { bearer, connectChat, jsonClient, openSse, request } from '@riser/testing';
import { describeCluster, startCluster, type Cluster, type Replica } from '../support/cluster.js';
import { queryDb } from '../support/db.js';
import { isContent, parsed, readUntil, tokensSeen } from '../support/sse-reading.js';
import { until } from '../support/wait.js';

jest.setTimeout(90_000);

// Issue 11, acceptance: "Cancel through B of a run on A stops it within a second; `enqueue`
// on B behind a run on A starts when it ends; `interrupt` and `rollback` across replicas keep
// their meaning." Also `on_disconnect: cancel` when the last subscriber anywhere leaves.
describeCluster('cluster control e2e')('cancel and multitask across replicas', () => {
  let cluster: Cluster;
  let A: Replica;
  let B: Replica;
  let token: string;

  beforeAll(async () => {
    // ~25 tokens 60 ms apart: a run lasts ~1.5 s, long enough to act on it mid-way.
    cluster = await startCluster({ replicas: 2, env: { DEMO_TOKEN_DELAY_MS: '60' } });
    [A, B] = cluster.replicas;
    token = cluster.token('cleo');
  });
  afterAll(() => cluster?.destroy());

  const sdk = (replica: Replica) => new Client({ apiUrl: replica.url, apiKey: null, defaultHeaders: bearer(token) });
  const thread = async (replica: Replica, id: string) => (await jsonClient(replica.url, bearer(token)).get(`/chat/threads/${id}`)).body;
  const contents = (view: any) => view.messages.map((m: any) => m.content);
  const runRow = async (runId: string) => (await queryDb(cluster.databaseUrl, 'SELECT status, error_code FROM riser.runs WHERE run_id = $1', [runId]))[0];

  /** A run streaming on A, read up to its second token; the stream stays open. */
  async function streamOnA(threadId: string, body: Record<string, unknown> = {}) {
    const stream = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: `a long answer for ${threadId}`, thread_id: threadId, ...body } });
    expect(stream.status).toBe(200);
    const reading = await readUntil(stream, tokensSeen(2));
    const runId = JSON.parse(reading.frames[0].data!).run_id as string;
    // Executing on A (the replica that admitted it), so what B does must cross replicas.
    expect((await cluster.executorOf(runId))?.name).toBe('A');
    return { ...reading, stream, runId };
  }

  it.each([
    ['Platform cancel (the SDK on B)', (t: string, r: string) => sdk(B).runs.cancel(t, r)],
    ['simple-protocol cancel on B', async (t: string, r: string) => expect((await jsonClient(B.url, bearer(token)).post(`/chat/threads/${t}/runs/${r}/cancel`)).status).toBe(200)],
    [
      'socket cancel on B',
      async (t: string, r: string) => {
        const socket = await connectChat(B.url, token, { transports: ['websocket'] });
        try {
          expect(await request(socket, 'cancel', { thread_id: t, run_id: r })).toMatchObject({ ok: true, status: 'cancelled' });
        } finally {
          socket.close();
        }
      },
    ],
  ])('%s stops a run streaming on A: A’s stream ends within 1 s of the answer', async (how, cancel) => {
    const threadId = `cc-cancel-${how.split(' ')[0].toLowerCase()}`;
    const { runId, rest } = await streamOnA(threadId);
    await cancel(threadId, runId);
    const answeredAt = Date.now();
    const frames = await rest();
    const tail = frames.slice(-2);
    expect(tail.map(parsed)).toEqual([{ error: 'cancelled', message: expect.any(String) }, '[DONE]']);
    expect(tail[1].wall - answeredAt).toBeLessThan(1000);
    expect(await runRow(runId)).toEqual({ status: 'cancelled', error_code: 'cancelled' });
    expect((await sdk(A).runs.get(threadId, runId)).status).toBe('interrupted');
    // The thread takes the next message, on either replica.
    const next = await (await openSse(`${B.url}/chat/stream`, { headers: bearer(token), body: { message: 'again', thread_id: threadId } })).collect();
    expect(next.filter((f) => f.data !== undefined).pop()?.data).toBe('[DONE]');
  });

  it('on_disconnect cancel: a run on A goes on while a subscriber on B remains, and stops when that last one leaves', async () => {
    const { runId, stream, frames } = await streamOnA('cc-od', { on_disconnect: 'cancel' });
    const onB = await openSse(`${B.url}/chat/stream?thread_id=cc-od&run_id=${runId}`, { headers: { ...bearer(token), 'last-event-id': frames[frames.length - 1].id! } });
    const onBFrames = await readUntil(onB, tokensSeen(1));
    stream.close();
    // Still running for B's client: more tokens arrive after A's client left.
    const before = onBFrames.frames.filter(isContent).length;
    const after = await onBFrames.until((_, seen) => seen.filter(isContent).length >= before + 3);
    expect(after.filter(isContent).length).toBe(before + 3);
    expect(after.map(parsed)).not.toContainEqual(expect.objectContaining({ error: expect.anything() }));
    onB.close();
    const row = await until(() => runRow(runId), (r) => r.status !== 'running', 5000);
    expect(row).toEqual({ status: 'cancelled', error_code: 'cancelled' });
  });

  it('enqueue on B behind a run on A: starts within 1 s of its end, in order', async () => {
    const first = await streamOnA('cc-enqueue');
    const second = await openSse(`${B.url}/chat/stream`, { headers: bearer(token), body: { message: 'second', thread_id: 'cc-enqueue', multitask_strategy: 'enqueue' } });
    expect(second.status).toBe(200);
    const [a, b] = await Promise.all([first.rest(), readUntil(second, () => false).then((r) => r.rest())]);
    expect(a.map(parsed).pop()).toBe('[DONE]');
    expect(b.map(parsed).pop()).toBe('[DONE]');
    const firstEnded = a[a.length - 1].wall;
    const secondStarted = b.find(isContent)!.wall;
    expect(secondStarted).toBeGreaterThanOrEqual(firstEnded);
    expect(secondStarted - firstEnded).toBeLessThan(1000);
    expect(contents(await thread(A, 'cc-enqueue'))).toEqual([
      'a long answer for cc-enqueue',
      expect.stringContaining('You said "a long answer for cc-enqueue"'),
      'second',
      expect.stringContaining('message 2 of our conversation'),
    ]);
  });

  it('Platform enqueue (the SDK on B) behind a Platform run on A: both succeed, in order', async () => {
    const created = await sdk(A).threads.create();
    const t = created.thread_id;
    const one = await sdk(A).runs.create(t, 'agent', { input: { messages: [{ role: 'user', content: 'one' }] } });
    const two = await sdk(B).runs.create(t, 'agent', { input: { messages: [{ role: 'user', content: 'two' }] }, multitaskStrategy: 'enqueue' });
    await sdk(B).runs.join(t, two.run_id);
    expect((await sdk(B).runs.get(t, one.run_id)).status).toBe('success');
    expect((await sdk(A).runs.get(t, two.run_id)).status).toBe('success');
    const state: any = await sdk(A).threads.getState(t);
    expect(state.values.messages.map((m: any) => m.content)).toEqual(['one', expect.stringContaining('You said "one"'), 'two', expect.stringContaining('message 2 of our conversation')]);
  });

  it('a run enqueued on B and cancelled there before any replica started it never runs, wherever it would have', async () => {
    const first = await streamOnA('cc-enqueue-cancel');
    const queued = await sdk(B).runs.create('cc-enqueue-cancel', 'agent', { input: { messages: [{ role: 'user', content: 'never said' }] }, multitaskStrategy: 'enqueue' });
    expect(queued.status).toBe('pending');
    await sdk(B).runs.cancel('cc-enqueue-cancel', queued.run_id);
    expect((await first.rest()).map(parsed).pop()).toBe('[DONE]');
    // An enqueued run starts within a second of the run before it ending: past that (and a
    // little), it must still be cancelled and its input unsaid.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await runRow(queued.run_id)).toEqual({ status: 'cancelled', error_code: 'cancelled' });
    const view = await thread(B, 'cc-enqueue-cancel');
    expect(contents(view)).toEqual(['a long answer for cc-enqueue-cancel', expect.stringContaining('You said "a long answer for cc-enqueue-cancel"')]);
    expect(view.status).toBe('idle');
  });

  it('interrupt (the SDK on B) of a run streaming on A: A’s stream ends interrupted, its input stays, the new run answers', async () => {
    const first = await streamOnA('cc-interrupt');
    const second = await sdk(B).runs.create('cc-interrupt', 'agent', { input: { messages: [{ role: 'user', content: 'take over' }] }, multitaskStrategy: 'interrupt' });
    const a = await first.rest();
    expect(a.slice(-2).map(parsed)).toEqual([{ error: 'interrupted', message: expect.any(String) }, '[DONE]']);
    await sdk(B).runs.join('cc-interrupt', second.run_id);
    expect((await sdk(A).runs.get('cc-interrupt', first.runId)).status).toBe('interrupted');
    expect((await sdk(A).runs.get('cc-interrupt', second.run_id)).status).toBe('success');
    expect(contents(await thread(B, 'cc-interrupt'))).toEqual(['a long answer for cc-interrupt', 'take over', expect.stringContaining('message 2 of our conversation')]);
  });

  it('rollback (the SDK on B) of a run streaming on A: A’s stream ends rolled back and its progress is gone', async () => {
    await (await openSse(`${B.url}/chat/stream`, { headers: bearer(token), body: { message: 'kept', thread_id: 'cc-rollback' } })).collect();
    const first = await streamOnA('cc-rollback');
    const second = await sdk(B).runs.create('cc-rollback', 'agent', { input: { messages: [{ role: 'user', content: 'instead' }] }, multitaskStrategy: 'rollback' });
    const a = await first.rest();
    expect(a.slice(-2).map(parsed)).toEqual([{ error: 'rolled_back', message: expect.any(String) }, '[DONE]']);
    await sdk(B).runs.join('cc-rollback', second.run_id);
    expect(contents(await thread(A, 'cc-rollback'))).toEqual([
      'kept',
      expect.stringContaining('You said "kept"'),
      'instead',
      expect.stringContaining('message 2 of our conversation'),
    ]);
  });
});
