import { createTestDatabase, tokenFactory } from '@riser/testing';
import { queryDb } from './db.js';
import { findNginx, startNginx } from './nginx.js';
import { findRedisServer, startRedis, type TestRedis } from './redis.js';
import { cleanEnv, freePort, startRiserProcess, type RiserProcess } from './riser-process.js';

const SECRET = 'c'.repeat(48);

export interface Replica {
  /** 'A', 'B', 'C': how the tests and the issue name them. */
  name: string;
  port: number;
  url: string;
  env: NodeJS.ProcessEnv;
  /** The current process; replaced by `restart`. */
  process: RiserProcess;
}

export interface Cluster {
  replicas: Replica[];
  redis: TestRedis;
  databaseUrl: string;
  /** nginx in front of every replica (round-robin, docker/nginx.conf), when asked for. */
  proxyUrl?: string;
  /** nginx's access log so far (docker/nginx.conf's format, `upstream=` naming the replica). */
  proxyLog?: () => string;
  token: ReturnType<typeof tokenFactory>;
  /** kill -9, and wait until the process is gone. */
  kill(replica: Replica): Promise<void>;
  freeze(replica: Replica): void;
  thaw(replica: Replica): void;
  /** SIGTERM, and wait for the exit. */
  terminate(replica: Replica): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts the replica again on its port, with its environment (a fresh process identity). */
  restart(replica: Replica): Promise<void>;
  /** The replica whose process executes the run now (by the pid on the run's row). */
  executorOf(runId: string): Promise<Replica | undefined>;
  alive(replica: Replica): boolean;
  /** Thaws every replica and restarts the dead ones, so a failed test leaves the next a whole cluster. */
  heal(): Promise<void>;
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  replicas?: 2 | 3;
  env?: Record<string, string>;
  nginx?: boolean;
}

// Every process a cluster started, so that even a crashed Jest worker leaves none behind.
const running = new Set<RiserProcess>();
process.once('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

/**
 * The compose topology as processes: one fresh database, one redis-server of its own, N Riser
 * processes built from dist with the same DATABASE_URL, JWT_SECRET, REDIS_URL and a
 * REDIS_PREFIX of their own, and optionally nginx in front of all of them.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const replicas: Replica[] = [];
  try {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const redis = await startRedis();
    cleanup.push(() => redis.destroy());
    const prefix = `riser-test-${Math.random().toString(36).slice(2, 10)}:`;
    const names = ['A', 'B', 'C'].slice(0, options.replicas ?? 2);
    const ports = await Promise.all(names.map(() => freePort()));
    const envs = ports.map((port) =>
      cleanEnv({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        JWT_SECRET: SECRET,
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        ...options.env,
      }),
    );
    // Together, as compose starts them: migrations take an advisory lock.
    const started = await Promise.allSettled(envs.map((env) => startRiserProcess(env)));
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') {
        running.add(s.value);
        replicas.push({ name: names[i], port: ports[i], url: `http://127.0.0.1:${ports[i]}`, env: envs[i], process: s.value });
      }
    });
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    let proxy: Awaited<ReturnType<typeof startNginx>> | undefined;
    if (options.nginx) {
      proxy = await startNginx(ports);
      cleanup.push(() => proxy!.stop());
    }
    return cluster(replicas, redis, db.url, proxy, cleanup);
  } catch (err) {
    await stopAll(replicas, cleanup);
    throw err;
  }
}

function cluster(
  replicas: Replica[],
  redis: TestRedis,
  databaseUrl: string,
  proxy: Awaited<ReturnType<typeof startNginx>> | undefined,
  cleanup: (() => Promise<unknown>)[],
): Cluster {
  const stop = async (replica: Replica, signal: NodeJS.Signals) => {
    const { process: p } = replica;
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
    const exit = await p.exited;
    running.delete(p);
    return exit;
  };
  const alive = (replica: Replica) => replica.process.child.exitCode === null && replica.process.child.signalCode === null;
  const restartReplica = async (replica: Replica) => {
    await stop(replica, 'SIGKILL');
    replica.process = await startRiserProcess(replica.env);
    running.add(replica.process);
  };
  return {
    replicas,
    redis,
    databaseUrl,
    proxyUrl: proxy?.url,
    proxyLog: proxy && (() => proxy.accessLog()),
    token: tokenFactory(SECRET),
    kill: async (replica) => void (await stop(replica, 'SIGKILL')),
    freeze: (replica) => void replica.process.child.kill('SIGSTOP'),
    thaw: (replica) => void replica.process.child.kill('SIGCONT'),
    terminate: (replica) => stop(replica, 'SIGTERM'),
    restart: restartReplica,
    executorOf: async (runId) => {
      const [row] = await queryDb(databaseUrl, 'SELECT worker_pid FROM riser.runs WHERE run_id = $1', [runId]);
      return replicas.find((r) => r.process.child.pid === row?.worker_pid);
    },
    alive,
    heal: async () => {
      for (const replica of replicas) {
        if (alive(replica)) replica.process.child.kill('SIGCONT');
        else await restartReplica(replica);
      }
    },
    destroy: () => stopAll(replicas, cleanup),
  };
}

async function stopAll(replicas: Replica[], cleanup: (() => Promise<unknown>)[]) {
  await Promise.all(
    replicas.map(async ({ process: p }) => {
      // SIGKILL also ends a stopped (SIGSTOP) process.
      p.child.kill('SIGKILL');
      await p.exited;
      running.delete(p);
    }),
  );
  // nginx, then Redis, then the database: the reverse of the start.
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
}

/**
 * `describe` when this machine has what the suite needs (redis-server; nginx when asked),
 * else `describe.skip` with a warning that says why (.ci/run installs both from Debian).
 */
export function describeCluster(suite: string, needs: { nginx?: boolean } = {}): jest.Describe {
  const missing = [!findRedisServer() && 'redis-server (apt-get install redis-server)', needs.nginx && !findNginx() && 'nginx (apt-get install nginx-light)'].filter(Boolean);
  if (!missing.length) return describe;
  console.warn(`SKIPPED ${suite}: no ${missing.join(', no ')} on this machine`);
  return describe.skip;
}
