import { bearer, connectChat, jsonClient, nextEvent, request, runMessages, type Socket } from '@riser/testing';
import { describeCluster, startCluster, type Cluster, type Replica } from '../support/cluster.js';
import { queryDb } from '../support/db.js';

jest.setTimeout(90_000);

const text = (messages: Record<string, any>[]) => messages.filter((m) => m.content).map((m) => m.content).join('');

// Issue 11, acceptance: "An approver socket on B gets `approval.requested` for an interrupt
// raised on A; 20 decisions at once from sockets on A and B → exactly one applied."
describeCluster('cluster approvals e2e')('approvals across replicas', () => {
  let cluster: Cluster;
  let A: Replica;
  let B: Replica;
  const sockets: Socket[] = [];
  const connect = async (replica: Replica, sub: string, tenant: string, roles: string[] = []) => {
    const socket = await connectChat(replica.url, cluster.token(sub, { tenant, roles }), { transports: ['websocket'] });
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    cluster = await startCluster({ replicas: 2, env: { DEMO_TOKEN_DELAY_MS: '1', DB_POOL_MAX: '30' } });
    [A, B] = cluster.replicas;
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => cluster?.destroy());

  /** Alice, connected to A, asks for a refund; resolves once her run paused at the interrupt. */
  async function requestRefund(alice: Socket, threadId: string) {
    let runId: string | undefined;
    const messages = runMessages(alice, () => runId);
    const requested = nextEvent(alice, 'approval.requested', (e: any) => e.thread_id === threadId);
    const ack = await request(alice, 'chat', { message: 'please refund order C-7 $30', thread_id: threadId });
    expect(ack).toMatchObject({ ok: true, thread_id: threadId });
    runId = ack.run_id;
    const seen = await messages;
    expect(seen[seen.length - 1]).toMatchObject({ done: true, status: 'interrupted' });
    return { runId: ack.run_id as string, requested: await requested };
  }

  it('an approver on B is told of an interrupt raised on A (and only the tenant’s approvers are); B’s decision resumes the run and A’s socket sees it', async () => {
    const alice = await connect(A, 'alice', 'acme');
    const carol = await connect(B, 'carol', 'acme', ['approver']);
    const bob = await connect(B, 'bob', 'acme');
    const dave = await connect(B, 'dave', 'globex', ['approver']);
    const carolGets = nextEvent(carol, 'approval.requested', (e: any) => e.thread_id === 'ca-1', 10_000);
    // Absence is checked inside the same window in which carol's event arrived.
    const notFor = [bob, dave].map((s) => nextEvent(s, 'approval.requested', () => true, 2000).then(() => 'received', () => 'nothing'));
    const { runId, requested } = await requestRefund(alice, 'ca-1');
    // Raised on A: the run executed there.
    expect((await cluster.executorOf(runId))?.name).toBe('A');
    expect(requested).toMatchObject({ thread_id: 'ca-1', run_id: runId, requested_by: 'alice', value: { args: { order_id: 'C-7', amount: 30 } } });
    expect(await carolGets).toEqual(requested);
    expect(await Promise.all(notFor)).toEqual(['nothing', 'nothing']);

    let resumedId: string | undefined;
    const onA = runMessages(alice, () => resumedId);
    const decidedOnA = nextEvent(alice, 'approval.decided', (e: any) => e.interrupt_id === requested.interrupt_id);
    const ack = await request(carol, 'approve', { thread_id: 'ca-1', interrupt_id: requested.interrupt_id, decision: 'approve' });
    expect(ack).toMatchObject({ ok: true, run_id: expect.any(String) });
    resumedId = ack.run_id;
    expect(text(await onA)).toBe('Done. Refund issued: $30.00 for order C-7.');
    expect(await decidedOnA).toMatchObject({ thread_id: 'ca-1', decision: 'approve', decided_by: 'carol' });
    const view = await jsonClient(A.url, bearer(cluster.token('alice', { tenant: 'acme' }))).get('/chat/threads/ca-1');
    expect(view.body.status).toBe('idle');
    expect(view.body.approvals).toEqual([]);
  });

  it('20 decisions at once from approvers on A and B: exactly one applied, 19 already_decided', async () => {
    const alice = await connect(A, 'alice', 'acme');
    const { requested } = await requestRefund(alice, 'ca-race');
    const deciders = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(i % 2 ? B : A, `approver-${i}`, 'acme', ['approver'])));
    const acks = await Promise.all(
      deciders.map((s, i) => request(s, 'approve', { thread_id: 'ca-race', interrupt_id: requested.interrupt_id, decision: i % 4 < 2 ? 'approve' : 'reject' })),
    );
    const won = acks.filter((a) => a.ok);
    expect(won).toHaveLength(1);
    expect(acks.filter((a) => !a.ok).map((a) => a.error.code)).toEqual(Array(19).fill('already_decided'));
    // One resumed run, and it finishes: the interrupted run and that one, no third.
    const runs = await queryDb(cluster.databaseUrl, 'SELECT run_id FROM riser.runs WHERE thread_id = $1', ['ca-race']);
    expect(runs.map((r) => r.run_id).sort()).toEqual([requested.run_id, won[0].run_id].sort());
    const [approval] = await queryDb(cluster.databaseUrl, 'SELECT status, resume_run_id FROM riser.approvals WHERE thread_id = $1', ['ca-race']);
    expect(approval).toMatchObject({ resume_run_id: won[0].run_id });
    expect(['approved', 'rejected']).toContain(approval.status);
  });

  it('pending approvals are readable again from any replica (a reconnecting approver reads them from Postgres)', async () => {
    const alice = await connect(A, 'alice', 'acme');
    const { requested } = await requestRefund(alice, 'ca-pending');
    const view = await jsonClient(B.url, bearer(cluster.token('carol', { tenant: 'acme', roles: ['approver'] }))).get('/chat/threads/ca-pending');
    expect(view.status).toBe(200);
    expect(view.body.approvals).toEqual([expect.objectContaining({ interrupt_id: requested.interrupt_id, requested_by: 'alice' })]);
  });
});
