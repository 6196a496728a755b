import { bearer, connectChatWs, frameData, openSse, type WsFrame } from '@riser/testing';
import { describeCluster, startCluster, type Cluster } from '../support/cluster.js';

jest.setTimeout(120_000);

const payload = ({ run_id, seq: _s, ref: _r, ...rest }: WsFrame) => ('thread_id' in rest ? { ...rest, run_id } : rest);

// /chat/ws with replicas: any replica serves any connection, through the run core's
// cross-replica subscription, decisions and shutdown hand-back.
describeCluster('cluster /chat/ws e2e')('the plain WebSocket across replicas', () => {
  let cluster: Cluster;
  let A: Cluster['replicas'][number];
  let B: Cluster['replicas'][number];
  let token: string;

  beforeAll(async () => {
    cluster = await startCluster({ replicas: 2, env: { DEMO_TOKEN_DELAY_MS: '40', SHUTDOWN_GRACE_MS: '300' } });
    [A, B] = cluster.replicas;
    token = cluster.token('wes');
  });
  afterAll(() => cluster?.destroy());

  it('a run started over /chat/ws on A is rejoined over /chat/ws on B; a refund asked on A is approved on B', async () => {
    const onA = await connectChatWs(A.url, { token });
    onA.send({ message: 'rejoin me on the other replica', thread_id: 'cws-1' });
    const fourth = await onA.waitFor((f) => f.seq >= 4);
    onA.close();
    const onB = await connectChatWs(B.url, { token });
    onB.send({ type: 'subscribe', thread_id: 'cws-1', run_id: fourth.run_id, after_seq: fourth.seq });
    await onB.waitFor((f) => f.done);
    expect(onB.frames[0].seq).toBe(fourth.seq + 1);
    const whole = frameData(await (await openSse(`${B.url}/chat/stream?thread_id=cws-1&run_id=${fourth.run_id}`, { headers: bearer(token) })).collect());
    const stitched = [...onA.frames.filter((f) => f.seq <= fourth.seq), ...onB.frames.slice(0, -1)].map(payload);
    expect([...stitched, '[DONE]']).toEqual(whole);

    const ask = await connectChatWs(A.url, { token });
    ask.send({ message: 'refund order B-2 $5', thread_id: 'cws-2' });
    const interrupt = await ask.waitFor((f) => f.interrupt);
    await ask.waitFor((f) => f.done);
    ask.close();
    onB.send({ type: 'approve', id: 'yes', thread_id: 'cws-2', interrupt_id: interrupt.interrupts[0].id, decision: 'approve' });
    expect(await onB.waitFor((f) => f.ref === 'yes' && f.done)).toMatchObject({ status: 'success' });
    expect(onB.frames.filter((f) => f.ref === 'yes' && f.content).map((f) => f.content).join('')).toContain('Refund issued');
    onB.close();
  });

  it('SIGTERM on A: its connection gets `rejoin` then 1001; the run goes on elsewhere and a rejoin on B gets the rest exactly once', async () => {
    const onA = await connectChatWs(A.url, { token });
    onA.send({ message: 'a long answer that outlives its replica, word after word after word', thread_id: 'cws-3' });
    const first = await onA.waitFor((f) => f.content);
    const [{ code }, exit] = await Promise.all([onA.closed, cluster.terminate(A)]);
    expect(exit.code).toBe(0);
    expect(code).toBe(1001);
    const last = onA.frames[onA.frames.length - 1];
    expect(last).toMatchObject({ error: 'rejoin', run_id: first.run_id });
    const onB = await connectChatWs(B.url, { token });
    onB.send({ type: 'subscribe', thread_id: 'cws-3', run_id: first.run_id, after_seq: last.seq });
    expect(await onB.waitFor((f) => f.done, 60_000)).toMatchObject({ status: 'success' });
    const seqs = [...onA.frames.slice(0, -1), ...onB.frames].map((f) => f.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
    onB.close();
    await cluster.restart(A);
  });
});
