import { bearer, openSse } from '@riser/testing';
import { io, type Socket } from 'socket.io-client';
import { describeCluster, startCluster, type Cluster } from '../support/cluster.js';
import { consecutive } from '../support/run-follower.js';
import { until } from '../support/wait.js';

jest.setTimeout(60_000);

// Issue 11: "Connection state recovery where the adapter supports it" (README: a client that
// reconnects within two minutes gets the events it missed). Through nginx, so the reconnect
// may land on the other replica.
describeCluster('cluster socket e2e', { nginx: true })('Socket.IO connection state recovery across replicas', () => {
  let cluster: Cluster;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ replicas: 2, nginx: true, env: { DEMO_TOKEN_DELAY_MS: '60' } });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await cluster?.destroy();
  });

  it('a socket whose connection drops mid-run reconnects, is recovered, and gets every message of the run once', async () => {
    const token = cluster.token('rosa');
    const [A] = cluster.replicas;
    const start = await openSse(`${A.url}/chat/stream`, { headers: bearer(token), body: { message: 'recover my socket', thread_id: 'cs-recover' } });
    const runId = JSON.parse((await start.collect((f) => f.id === '1'))[0].data!).run_id;

    // A browser-like client: reconnects by itself, websocket only (no sticky sessions needed).
    const socket = io(`${cluster.proxyUrl}/chat`, { auth: { token }, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 200, forceNew: true });
    sockets.push(socket);
    const got: Record<string, any>[] = [];
    socket.on('message', (m: Record<string, any>) => m.run_id === runId && got.push(m));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect(await socket.timeout(10_000).emitWithAck('subscribe', { thread_id: 'cs-recover', run_id: runId, after_seq: 0 })).toMatchObject({ ok: true });
    await until(async () => got.filter((m) => m.content).length, (n) => n >= 2, 10_000);

    // The network drops the connection (not a clean disconnect): the client reconnects.
    const reconnected = new Promise<void>((r) => socket.io.once('reconnect', () => r()));
    socket.io.engine.close();
    await reconnected;
    // Dropping a client's connection must not take a replica down (persisting the socket's
    // session for recovery is where that could go wrong).
    await new Promise((r) => setTimeout(r, 200));
    expect(cluster.replicas.map((r) => ({ replica: r.name, alive: cluster.alive(r), crash: cluster.alive(r) ? '' : r.process.output().split('\n').find((l) => /^\w*Error: /.test(l)) }))).toEqual(
      cluster.replicas.map((r) => ({ replica: r.name, alive: true, crash: '' })),
    );
    expect(socket.recovered).toBe(true);

    const done = await until(async () => got.some((m) => m.done), (d) => d, 20_000, 50);
    expect(done).toBe(true);
    expect(got.map((m) => m.seq)).toEqual(consecutive(got.length));
    expect(got[got.length - 1]).toMatchObject({ done: true, status: 'success' });
  });
});
