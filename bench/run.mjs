// `npm run bench`: Riser against a hand-written Fastify SSE server streaming the same graph,
// against the graph iterated in-process, and two Riser replicas sharing runs through Redis
// (scale-out) against the single process, in one run. See bench/README.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { startLoad } from './load.mjs';
import { summarizeStreams } from './sse-stats.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const RESULTS_MD = resolve(BENCH, 'RESULTS.md');
const PROFILES = resolve(BENCH, 'profiles');
const OUT = resolve(BENCH, 'out');
/** A copy of the build taken right after `npm run build`: a rebuild of dist/ during the bench (npm test…) cannot change the code under test. */
const SNAPSHOT = resolve(OUT, 'riser-build');
/** Every run stays in RESULTS.md (issue 14: the verdict is the worst of several full runs). */
const KEEP_PREVIOUS = Infinity;
const RUN_LOG_TTL_MS = 2000;
const CPU_TAIL_MS = 250;
/** The cluster kind: this many Riser processes on one database and one Redis, the load spread over them. */
const REPLICAS = 2;
/**
 * Loaded into each cluster replica with `--import` (written at start, bench/out/ is gitignored):
 * counts the Redis commands the process sends through ioredis (the client Riser uses), and round
 * trips (a command on its own, or a whole pipeline/MULTI: one write, one wait), into a file
 * every 100 ms. The bench reads it before and after a phase: what each replica asks of Redis,
 * without MONITOR (which would slow Redis) and without counting the commands a Lua script runs
 * inside Redis.
 */
const REDIS_COUNTER = resolve(OUT, 'redis-counter.mjs');
const REDIS_COUNTER_SOURCE = `// Written by bench/run.mjs: counts what this process sends to Redis (see REDIS_COUNTER there).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const file = process.env.BENCH_REDIS_COUNT_FILE;
if (file) {
  const { Redis } = createRequire(${JSON.stringify(resolve(ROOT, 'package.json'))})('ioredis');
  const counts = { commands: 0, roundTrips: 0, byName: {} };
  const pipelines = new WeakSet();
  const send = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (command, stream) {
    counts.commands += 1;
    counts.byName[command.name] = (counts.byName[command.name] ?? 0) + 1;
    // A pipeline (and MULTI…EXEC) hands each of its commands over with its own stream object.
    if (!stream) counts.roundTrips += 1;
    else if (!pipelines.has(stream)) {
      pipelines.add(stream);
      counts.roundTrips += 1;
    }
    return send.apply(this, arguments);
  };
  let written = -1;
  const write = () => {
    if (counts.commands === written) return;
    written = counts.commands;
    try {
      writeFileSync(file, JSON.stringify(counts));
    } catch {}
  };
  write();
  setInterval(write, 100).unref();
}
`;

// ---------------------------------------------------------------------------------------
// Scenarios (the issue's a–d), full and --quick.

const SCENARIOS = {
  a: { title: '(a) 1 stream × 2,000 tokens, 0 ms (10 in a row)', concurrency: 1, requests: 10, tokens: 2000, delay: 0 },
  b: { title: '(b) C=50, 500 requests × 200 tokens, 0 ms', concurrency: 50, requests: 500, tokens: 200, delay: 0 },
  // (b) with the model yielding a macrotask before each token, as a network-fed model does:
  // no two tokens share an event-loop turn, so no write can carry more than one frame.
  y: { title: '(b-yield) C=50, 500 requests × 200 tokens, a token per macrotask', concurrency: 50, requests: 500, tokens: 200, delay: 0, yieldEach: true },
  c: { title: '(c) C=100, 200 requests × 100 tokens, 20 ms/token', concurrency: 100, requests: 200, tokens: 100, delay: 20 },
  d: { title: '(d) 1,000 open streams × 10 tokens, 1 token/s', concurrency: 1000, requests: 1000, tokens: 10, delay: 1000 },
  // A run's own cost: one token each, so "CPU µs per token" is CPU per run. With (b) it splits
  // (b)'s cost into what each run costs and what each further token costs (see splitOfB).
  r: { title: '(r) C=10, 1,000 runs × 1 token, 0 ms (CPU per token = per run)', concurrency: 10, requests: 1000, tokens: 1, delay: 0 },
};
const QUICK = {
  a: { title: '(a) 1 stream × 2,000 tokens, 0 ms (5 in a row)', requests: 5 },
  b: { title: '(b) C=50, 100 requests × 200 tokens, 0 ms', requests: 100 },
  y: { title: '(b-yield) C=50, 100 requests × 200 tokens, a token per macrotask', requests: 100 },
  c: { title: '(c) C=100, 100 requests × 100 tokens, 20 ms/token', requests: 100 },
  d: { title: '(d) 200 open streams × 5 tokens, 1 token/s', concurrency: 200, requests: 200, tokens: 5 },
  r: { title: '(r) C=10, 300 runs × 1 token, 0 ms (CPU per token = per run)', requests: 300 },
};
/** Enough for the JIT to settle: (a) measured right after a short warm-up costs up to 2× more CPU. */
const WARMUP = [
  { concurrency: 20, requests: 100, tokens: 200, delay: 0 },
  { concurrency: 1, requests: 5, tokens: 2000, delay: 0 },
];
const QUICK_WARMUP = [
  { concurrency: 10, requests: 40, tokens: 200, delay: 0 },
  { concurrency: 1, requests: 3, tokens: 2000, delay: 0 },
];
const SHOW_ORDER = ['a', 'b', 'y', 'c', 'r', 'd'];
const SERVER_KINDS = ['riser', 'riser-bare', 'riser-traced', 'baseline', 'cluster', 'inprocess'];
/**
 * Riser as users run it (`riser`: metrics on, scraped as the shipped Prometheus does) and with tracing on, each
 * measured against `riser-bare` (metrics and tracing off) in the same run.
 */
const OBSERVED = { riser: 'metrics on', 'riser-traced': 'tracing on (100 %)' };
/** The single-process servers (b) and (b-yield) are measured on in turns, all running at once (see measureInterleaved). */
const INTERLEAVED_KINDS = ['riser', 'baseline'];
/**
 * The observability phase (see measureObserved): streams at a model's pace (20 ms a token), few
 * enough that the servers together stay well below the machine's two cores, every variant
 * loaded at the same moment. `riser-bare′` is a second riser-bare: the A/A control.
 */
const OBSERVE = { concurrency: 12, tokens: 100, delay: 20, windowS: 20, windows: 3 };
const OBSERVE_QUICK = { windowS: 10, windows: 2 };
const OBSERVE_VARIANTS = [
  { label: 'riser-bare', kind: 'riser-bare' },
  { label: 'riser', kind: 'riser' },
  { label: 'riser-traced', kind: 'riser-traced' },
  { label: 'riser-bare′', kind: 'riser-bare' },
];
/** The A/A control's tolerance: past it the phase cannot resolve the observability targets. */
const OBSERVE_AA_TOLERANCE = 0.02;
/** Requests per turn of the interleaved (b) and (b-yield) (their concurrency and tokens are the scenario's). */
const INTERLEAVED_REQUESTS = 250;
/** The in-process floor has no connections to hold open: it runs the CPU scenarios. */
const INPROCESS_SCENARIOS = ['a', 'b', 'y', 'c', 'r'];

const USAGE = `usage: npm run bench -- [options]

  --quick              short version (under 2 minutes): fewer requests, 2 repeats (the in-process
                       floors once), (d) at 200 streams on a cold process
  --only a,b           run only these scenarios (a: 1×2000 tokens, b: C=50 × 200 tokens,
                       y: b with a token per macrotask, c: C=100 at 20 ms/token, r: C=10 runs
                       of one token (a run's own cost), d: 1,000 open streams at 1 token/s)
  --repeats N          repeats per scenario (default 3; --quick: 2)
  --servers LIST       any of riser,riser-bare,riser-traced,baseline,cluster,inprocess (default:
                       all); riser runs as users run it, its metrics port on and scraped at the
                       shipped Prometheus interval (docker/prometheus/prometheus.yml); riser-bare
                       with metrics and tracing off; riser-traced (metrics off) exporting every
                       span (sampled at 100 %) over OTLP/HTTP to a sink in the bench process;
                       cluster = ${REPLICAS} Riser replicas (metrics on, not scraped) on one database
                       sharing runs through Redis (REDIS_URL, else redis://127.0.0.1:6379),
                       skipped with a message when Redis is unreachable
  --profile[=WHO]      start riser (default), riser-bare, riser-traced, baseline, a comma-separated
                       list of them, or both (riser,baseline) with --cpu-prof into bench/profiles/
                       (numbers then include the profiler's overhead)
  --interleave N       rounds of the interleaved (b) and (y) (default 6; --quick: 0 = off): riser
                       and baseline both started, then measured in turns of ${INTERLEAVED_REQUESTS} requests, the
                       order reversed every other round, so the machine's drift lands on each
                       alike; the (b) and (y) CPU and frame-rate targets are judged on it
  --observe N          generations of the observability phase (default 3; --quick: 1; 0 = off),
                       run when --servers has riser-bare and riser or riser-traced: riser-bare,
                       riser, riser-traced and a second riser-bare (the A/A control) started
                       together, warmed up, then loaded at once, ${OBSERVE.concurrency} streams each at
                       ${OBSERVE.delay} ms/token, in ${OBSERVE.windows} windows of ~${OBSERVE.windowS} s; a generation is a fresh set of
                       processes; the metrics and tracing targets are judged on it
  --no-build           do not run \`npm run build\` first
  --no-write           do not update bench/RESULTS.md
  -h, --help           this text

Postgres: DATABASE_URL's server when set, else postgres://postgres@127.0.0.1:5432/postgres;
each server start gets a fresh database riser_bench_<random>_<n>, dropped afterwards (and each
cluster start a fresh Redis key prefix riser_bench_<random>_<n>:, whose keys are deleted afterwards).`;

function parseArgs(argv) {
  const opts = {
    quick: false,
    only: [...SHOW_ORDER],
    repeats: undefined,
    servers: [...SERVER_KINDS],
    profile: [],
    build: true,
    write: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--quick':
        opts.quick = true;
        break;
      case '--only':
        opts.only = value()
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean);
        for (const s of opts.only) if (!SCENARIOS[s]) throw new Error(`unknown scenario "${s}" (a, b, y, c, r, d)`);
        break;
      case '--repeats':
        opts.repeats = Number(value());
        if (!Number.isInteger(opts.repeats) || opts.repeats < 1) throw new Error('--repeats must be a positive integer');
        break;
      case '--servers':
        opts.servers = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const s of opts.servers) if (!SERVER_KINDS.includes(s)) throw new Error(`unknown server "${s}"`);
        break;
      case '--profile': {
        const who = inline ?? (argv[i + 1] && !argv[i + 1].startsWith('-') ? argv[++i] : 'riser');
        const list = who === 'both' ? ['riser', 'baseline'] : who.split(',').map((s) => s.trim());
        if (!list.length || list.some((k) => !['riser', 'riser-bare', 'riser-traced', 'baseline'].includes(k))) {
          throw new Error('--profile takes riser, riser-bare, riser-traced, baseline, a comma-separated list of them, or both');
        }
        opts.profile = list;
        break;
      }
      case '--interleave':
        opts.interleave = Number(value());
        if (!Number.isInteger(opts.interleave) || opts.interleave < 0) throw new Error('--interleave takes a whole number of rounds (0 = off)');
        break;
      case '--observe':
        opts.observe = Number(value());
        if (!Number.isInteger(opts.observe) || opts.observe < 0) throw new Error('--observe takes a whole number of generations (0 = off)');
        break;
      case '--no-build':
        opts.build = false;
        break;
      case '--no-write':
        opts.write = false;
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}\n\n${USAGE}`);
    }
  }
  opts.repeats ??= opts.quick ? 2 : 3;
  opts.scenarios = Object.fromEntries(SHOW_ORDER.map((k) => [k, { key: k, ...SCENARIOS[k], ...(opts.quick ? QUICK[k] : {}) }]));
  opts.warmup = opts.quick ? QUICK_WARMUP : WARMUP;
  opts.interleave ??= opts.quick ? 0 : 6;
  opts.observe ??= opts.quick ? 1 : 3;
  opts.observeShape = { ...OBSERVE, ...(opts.quick ? OBSERVE_QUICK : {}) };
  return opts;
}

// ---------------------------------------------------------------------------------------
// Processes, /proc, Postgres.

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (utime + stime of every thread) of a process, in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Resident set size of a process, in bytes. */
function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** The kernel's count of connections dropped because a listen queue was full (all sockets). */
function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return NaN;
  }
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function baseEnv(extra) {
  const env = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

const children = new Set();
const databases = new Set();

const SERVER_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const RUN_ID = randomBytes(4).toString('hex');
let dbCounter = 0;

async function admin(fn) {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createDatabase() {
  const name = `riser_bench_${RUN_ID}_${++dbCounter}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  databases.add(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropDatabase(name) {
  await admin(async (c) => {
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch {
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
    }
  });
  databases.delete(name);
}

const JWT_SECRET = randomBytes(24).toString('hex');
const TOKEN = jwt.sign({}, JWT_SECRET, { algorithm: 'HS256', subject: 'bench', expiresIn: '2h' });

/** Spawns one server process and waits until it answers GET /health/live. */
async function launch(kind, script, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (c) => {
    output += c;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  exited.then(() => children.delete(child));
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not answer /health/live within 90 s:\n${output}`);
    }
    const live = await fetch(`${url}/health/live`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (live) break;
    await sleep(100);
  }
  return {
    pid: child.pid,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const how = await exited;
      clearTimeout(timer);
      return how;
    },
  };
}

function riserEnv(port, databaseUrl, extra = {}) {
  return baseEnv({
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    LANGGRAPH_JSON: resolve(BENCH, 'langgraph.json'),
    RUN_LOG_TTL_MS: String(RUN_LOG_TTL_MS),
    // One principal starts every run of the bench: the per-principal rate limit is not what it measures.
    RATE_LIMIT_PER_MINUTE: '0',
    // Metrics and tracing off unless the kind has them on (riser, the cluster, riser-traced).
    METRICS_PORT: '0',
    ...extra,
  });
}

function profileArgs(kind, opts, label) {
  if (!opts.profile.includes(kind)) return { nodeArgs: [] };
  mkdirSync(PROFILES, { recursive: true });
  const name = `${kind}-${label}.cpuprofile`;
  return { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=${name}`], profilePath: resolve(PROFILES, name) };
}

/**
 * Starts one server on a fresh database and waits for GET /health/live: riser and baseline as
 * one child process; cluster as REPLICAS Riser processes started together on that database,
 * with REDIS_URL and a fresh REDIS_PREFIX (and the Redis command counter loaded), metrics on;
 * riser with its metrics port scraped, riser-bare with metrics off, riser-traced exporting spans. Riser runs as
 * production does: `node dist/src/main.js`. `pids`/`urls` list every process of the server.
 */
async function startServer(kind, opts, label) {
  const db = await createDatabase();
  const script = relative(ROOT, resolve(SNAPSHOT, 'dist/src/main.js'));
  let procs;
  let profilePaths = [];
  let redis;
  /** What runs beside a Riser with observability on: a Prometheus-like scraper, an OTLP sink. */
  let sidecar;
  if (kind === 'cluster') {
    const prefix = `riser_bench_${RUN_ID}_${++prefixCounter}:`;
    redisPrefixes.add(prefix);
    const countFiles = Array.from({ length: REPLICAS }, (_, i) => resolve(OUT, `redis-count-${RUN_ID}-${prefixCounter}-${i}.json`));
    redis = { prefix, countFiles };
    const started = await Promise.allSettled(
      countFiles.map(async (countFile, i) => {
        const port = await freePort();
        const env = riserEnv(port, db.url, { REDIS_URL: REDIS_URL, REDIS_PREFIX: prefix, BENCH_REDIS_COUNT_FILE: countFile, METRICS_PORT: String(await freePort()) });
        return launch(`cluster replica ${i + 1}`, script, env, ['--import', pathToFileURL(REDIS_COUNTER).href]);
      }),
    );
    procs = started.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(procs.map((p) => p.stop()));
      await dropDatabase(db.name).catch(() => undefined);
      await deleteRedisKeys(prefix).catch(() => undefined);
      throw failed.reason;
    }
  } else {
    const port = await freePort();
    const { nodeArgs, profilePath } = profileArgs(kind, opts, label);
    if (profilePath) profilePaths = [profilePath];
    const isRiser = kind.startsWith('riser');
    const observe = {};
    if (kind === 'riser') {
      const metricsPort = await freePort();
      observe.METRICS_PORT = String(metricsPort);
      sidecar = scraper(`http://127.0.0.1:${metricsPort}/metrics`);
    }
    if (kind === 'riser-traced') {
      sidecar = await otlpSink();
      Object.assign(observe, { OTEL_EXPORTER_OTLP_ENDPOINT: sidecar.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_SAMPLER: 'always_on' });
    }
    const env = isRiser
      ? riserEnv(port, db.url, observe)
      : baseEnv({ NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: db.url });
    try {
      procs = [await launch(kind, isRiser ? script : 'bench/baseline-server.mjs', env, nodeArgs)];
    } catch (err) {
      await sidecar?.stop();
      await dropDatabase(db.name).catch(() => undefined);
      throw err;
    }
  }
  return {
    kind,
    pids: procs.map((p) => p.pid),
    urls: procs.map((p) => p.url),
    headers: kind === 'baseline' ? {} : { authorization: `Bearer ${TOKEN}` },
    profilePaths,
    redis,
    output: () => procs.map((p) => p.output()).join('\n'),
    async stop() {
      const hows = await Promise.all(procs.map((p) => p.stop()));
      await sidecar?.stop();
      await dropDatabase(db.name).catch((err) => warn(`could not drop ${db.name}: ${err.message}`));
      if (redis) {
        await deleteRedisKeys(redis.prefix).catch((err) => warn(`could not delete the Redis keys ${redis.prefix}*: ${err.message}`));
        for (const f of redis.countFiles) rmSync(f, { force: true });
      }
      return hows.find((h) => h.code !== 0) ?? hows[0];
    },
  };
}

/**
 * How often Prometheus scrapes Riser as shipped (docker/prometheus/prometheus.yml's
 * scrape_interval): the bench's scraper keeps that pace, so its cost is measured as deployed.
 */
const SCRAPE_EVERY_MS = (() => {
  const text = readFileSync(resolve(ROOT, 'docker/prometheus/prometheus.yml'), 'utf8');
  const m = /scrape_interval:\s*(\d+)s/.exec(text);
  if (!m) throw new Error('docker/prometheus/prometheus.yml has no scrape_interval in seconds');
  return Number(m[1]) * 1000;
})();

/** Scrapes a metrics URL at Prometheus's shipped interval (its cost is part of metrics'). */
function scraper(url) {
  let scrapes = 0;
  const scrape = () =>
    fetch(url).then(
      (r) => r.text().then(() => scrapes++),
      () => undefined,
    );
  // Prometheus scrapes a target it has just found at once, then at its interval.
  scrape();
  const timer = setInterval(scrape, SCRAPE_EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      if (!scrapes) warn(`the metrics port was never scraped (${url})`);
    },
  };
}

/** Accepts OTLP/HTTP exports and drops them: the collector's side is not Riser's cost. */
async function otlpSink() {
  const { createServer: createHttpServer } = await import('node:http');
  let exports = 0;
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      if (!exports) warn('no span was exported to the OTLP sink');
    },
  };
}

// ---------------------------------------------------------------------------------------
// Redis (the cluster kind).

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const redisPrefixes = new Set();
let prefixCounter = 0;
/** The bench's own connection: INFO before and after a phase, key cleanup. */
let benchRedis;

function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}

/** Connects to Redis, or says why not (the cluster kind is then skipped). */
async function connectRedis() {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let cause;
  client.on('error', (err) => (cause ??= err));
  try {
    await client.connect();
    const info = parseInfo(await client.info('server'));
    benchRedis = client;
    return { version: `Redis ${info.redis_version} (${redactUrl(REDIS_URL)})` };
  } catch (err) {
    client.disconnect();
    return { error: `Redis at ${redactUrl(REDIS_URL)} is unreachable: ${(cause ?? err).message}` };
  }
}

function parseInfo(text) {
  const out = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/**
 * What Redis did (server-wide: any other client of the same Redis counts too) and what the
 * cluster's replicas asked of it (their own counters), at one moment.
 */
async function redisSnapshot(server) {
  const info = parseInfo(await benchRedis.call('INFO', 'cpu', 'commandstats'));
  let serverCommands = 0;
  for (const [key, value] of Object.entries(info)) {
    // The bench's own INFO calls are not the cluster's.
    if (!key.startsWith('cmdstat_') || key === 'cmdstat_info') continue;
    serverCommands += Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
  }
  const sent = { commands: 0, roundTrips: 0, byName: {} };
  for (const file of server.redis.countFiles) {
    let c;
    try {
      c = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue; // nothing sent yet
    }
    sent.commands += c.commands;
    sent.roundTrips += c.roundTrips;
    for (const [name, n] of Object.entries(c.byName)) sent.byName[name] = (sent.byName[name] ?? 0) + n;
  }
  return { serverCommands, cpuMs: (Number(info.used_cpu_sys) + Number(info.used_cpu_user)) * 1000, sent };
}

function redisDelta(before, after, requests, tokens) {
  const byName = {};
  for (const [name, n] of Object.entries(after.sent.byName)) {
    const d = n - (before.sent.byName[name] ?? 0);
    if (d) byName[name] = d;
  }
  return {
    redisRoundTripsPerRun: (after.sent.roundTrips - before.sent.roundTrips) / requests,
    redisSentPerRun: (after.sent.commands - before.sent.commands) / requests,
    redisServerCommandsPerRun: (after.serverCommands - before.serverCommands) / requests,
    redisCpuUsPerToken: tokens ? ((after.cpuMs - before.cpuMs) * 1000) / tokens : NaN,
    redisSentByName: byName,
  };
}

async function deleteRedisKeys(prefix) {
  if (!benchRedis) return;
  let cursor = '0';
  do {
    const [next, keys] = await benchRedis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await benchRedis.unlink(...keys);
  } while (cursor !== '0');
  redisPrefixes.delete(prefix);
}

/** dist/ and package.json (module type, version) copied side by side, as at the repo root. */
function snapshotBuild() {
  if (!existsSync(resolve(ROOT, 'dist/src/main.js'))) throw new Error('no dist/src/main.js: run without --no-build');
  rmSync(SNAPSHOT, { recursive: true, force: true });
  mkdirSync(SNAPSHOT, { recursive: true });
  cpSync(resolve(ROOT, 'dist'), resolve(SNAPSHOT, 'dist'), { recursive: true });
  copyFileSync(resolve(ROOT, 'package.json'), resolve(SNAPSHOT, 'package.json'));
}

function warn(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

function body(scenario) {
  return () => ({
    message: 'bench',
    assistant_id: 'bench',
    config: { configurable: { tokens: scenario.tokens, token_delay_ms: scenario.delay, ...(scenario.yieldEach && { token_yield: true }) } },
  });
}

/** Stops a server (warning when it did not exit cleanly) and keeps its profiles' paths. */
async function stopServer(server, profiles, context = '') {
  const how = await server.stop();
  if (how.code !== 0) warn(`${server.kind}${context} stopped with ${how.signal ?? how.code}`);
  profiles.push(...server.profilePaths);
}

/** Sums over the server's processes (the cluster's replicas; one process otherwise). */
const sumOver = (pids, read) => pids.reduce((n, pid) => n + read(pid), 0);

/** The POST /chat/stream URL(s): request i goes to process i mod their number. */
const streamUrls = (server) => (server.urls.length === 1 ? `${server.urls[0]}/chat/stream` : server.urls.map((u) => `${u}/chat/stream`));

/** Starts a scenario's streams against a server (see startLoad). */
function loadOn(server, scenario) {
  return startLoad({
    url: streamUrls(server),
    headers: server.headers,
    body: body(scenario),
    concurrency: scenario.concurrency,
    requests: scenario.requests,
    expectedTokens: scenario.tokens,
  });
}

/** One measured phase against a running server: load, its CPU time and RSS (all its processes'), its Redis use. */
async function measure(server, scenario, tailMs = CPU_TAIL_MS) {
  const redisBefore = server.redis ? await redisSnapshot(server) : undefined;
  const rssBefore = sumOver(server.pids, rssBytes);
  const cpuBefore = sumOver(server.pids, cpuMs);
  const clientBefore = process.cpuUsage();
  const overflowsBefore = listenOverflows();
  const { state, done } = loadOn(server, scenario);
  // RSS while every stream is open (each had a token, none finished), sampled every 100 ms.
  const openRss = [];
  let maxOpen = 0;
  let rssAtMaxOpen = NaN;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    let rss;
    try {
      rss = sumOver(server.pids, rssBytes);
    } catch {
      return;
    }
    rssPeak = Math.max(rssPeak, rss);
    if (state.streaming > maxOpen || (state.streaming === maxOpen && !(rss <= rssAtMaxOpen))) {
      maxOpen = state.streaming;
      rssAtMaxOpen = rss;
    }
    if (state.streaming === scenario.requests) openRss.push(rss);
  }, 100);
  const { results, wallMs } = await done;
  clearInterval(sampler);
  // A short tail: work the server does right after its last stream ended (socket teardown,
  // bookkeeping) belongs to the phase.
  await sleep(tailMs);
  const cpuAfter = sumOver(server.pids, cpuMs);
  const client = process.cpuUsage(clientBefore);
  const overflows = listenOverflows() - overflowsBefore;
  const summary = summarizeStreams(results);
  // The replicas write their counters every 100 ms: the last ones of the tail are in by now.
  const redis = server.redis ? redisDelta(redisBefore, await sleep(150).then(() => redisSnapshot(server)), scenario.requests, summary.tokens) : {};
  const cpu = cpuAfter - cpuBefore;
  const allOpen = openRss.length > 0;
  const rssOpen = allOpen ? median(openRss) : rssAtMaxOpen;
  const openCount = allOpen ? scenario.requests : maxOpen;
  return {
    ...summary,
    wallMs,
    cpuMs: cpu,
    serverCpuPct: (cpu / (wallMs + tailMs)) * 100,
    listenOverflows: overflows,
    clientCpuPct: ((client.user + client.system) / 1000 / wallMs) * 100,
    cpuUsPerToken: summary.tokens ? (cpu * 1000) / summary.tokens : NaN,
    framesPerSec: summary.tokens / (wallMs / 1000),
    rssBeforeMb: rssBefore / 2 ** 20,
    rssPeakMb: rssPeak / 2 ** 20,
    rssOpenMb: rssOpen / 2 ** 20,
    allOpen,
    maxOpen: allOpen ? scenario.requests : maxOpen,
    rssPerStreamKb: openCount > 0 ? (rssOpen - rssBefore) / 1024 / openCount : NaN,
    ...redis,
  };
}

async function warmUp(server, phases) {
  for (const phase of phases) {
    const { done } = loadOn(server, phase);
    const { results } = await done;
    const s = summarizeStreams(results);
    if (s.errors || s.short) warn(`${server.kind} warm-up: ${s.errors} errors, ${s.short} short streams ${JSON.stringify(s.errorCodes)}`);
  }
}

/**
 * (b) and (b-yield) measured in turns: the servers all run at once (each on its own database,
 * the idle ones idle), each warmed up, then each serves ${INTERLEAVED_REQUESTS} requests of the scenario in
 * turn, the order reversed every other round (A B, B A, …). Sequential repeats put
 * minutes between two servers' phases; here a turn is seconds, and a drift of the machine's
 * speed over the rounds lands on every server alike. A turn's CPU window runs until the run
 * logs of its requests have expired (RUN_LOG_TTL_MS), so that work is inside it as it is
 * inside a long phase.
 */
async function measureInterleaved(opts, plan, profiles) {
  const kinds = [...new Set(plan.flatMap((p) => p.kinds))];
  const servers = [];
  const rows = Object.fromEntries(plan.map((p) => [p.key, Object.fromEntries(p.kinds.map((k) => [k, []]))]));
  const speed = { start: speedIndex() };
  try {
    for (const kind of kinds) servers.push(await startServer(kind, opts, `${RUN_ID}-interleaved`));
    for (const server of servers) await warmUp(server, opts.warmup);
    await sleep(RUN_LOG_TTL_MS + 500);
    for (const { key, kinds: these } of plan) {
      const turn = { ...opts.scenarios[key], requests: INTERLEAVED_REQUESTS };
      const taking = servers.filter((s) => these.includes(s.kind));
      for (let round = 1; round <= opts.interleave; round++) {
        for (const server of round % 2 === 1 ? taking : [...taking].reverse()) {
          const row = await measure(server, turn, RUN_LOG_TTL_MS + 500);
          rows[key][server.kind].push({ round, ...row });
          process.stderr.write(
            `bench: interleaved ${key} round ${round} ${server.kind.padEnd(13)}: ${fmtNum(row.cpuUsPerToken, 1)} µs/token, ${fmtNum(row.framesPerSec, 0)} frames/s, errors ${row.errors}, short ${row.short}\n`,
          );
        }
      }
    }
  } finally {
    for (const server of servers) await stopServer(server, profiles, ' (interleaved)');
  }
  speed.end = speedIndex();
  return { rows, speed, rounds: opts.interleave, requests: INTERLEAVED_REQUESTS };
}

/**
 * The observability phase: what metrics and tracing cost, measured side by side. Each
 * generation starts the variants together (fresh processes, each on its own database), warms
 * them up, then loads them all at the same moment with the same paced streams, window after
 * window: a drift of the machine's speed lands on every variant at once, and the load is light
 * enough (12 streams × 50 tokens/s each) that they do not compete for the two cores, so none
 * gets ahead of another (loading two servers flat out side by side amplifies their difference:
 * see bench/RESULTS.md, "side-by-side, withdrawn"). A paced stream is also where a fixed cost
 * per second (a scrape, a sampling timer) weighs most against the tokens. Two riser-bare
 * processes measure the method's own noise (A/A): process to process, the same code differs
 * by a percent or two.
 */
async function measureObserved(opts, profiles) {
  const shape = opts.observeShape;
  const variants = OBSERVE_VARIANTS.filter((v) => opts.servers.includes(v.kind));
  const rows = Object.fromEntries(variants.map((v) => [v.label, []]));
  const requests = Math.max(1, Math.round((shape.concurrency * shape.windowS * 1000) / (shape.tokens * shape.delay)));
  const scenario = { concurrency: shape.concurrency, requests, tokens: shape.tokens, delay: shape.delay };
  // Each wave of streams takes tokens × delay at the least; the run's start comes on top.
  const idealMs = Math.ceil(requests / shape.concurrency) * shape.tokens * shape.delay;
  const speed = { start: speedIndex() };
  for (let generation = 1; generation <= opts.observe; generation++) {
    const servers = [];
    try {
      for (const [i, v] of variants.entries()) servers.push({ ...v, server: await startServer(v.kind, opts, `${RUN_ID}-observe-g${generation}-${i}`) });
      for (const { server } of servers) await warmUp(server, opts.warmup);
      await sleep(RUN_LOG_TTL_MS + 500);
      for (let window = 1; window <= shape.windows; window++) {
        const measured = await measureTogether(
          servers.map((s) => s.server),
          scenario,
          RUN_LOG_TTL_MS + 500,
        );
        for (const [i, row] of measured.entries()) rows[servers[i].label].push({ generation, window, idealMs, ...row });
        process.stderr.write(
          `bench: observe g${generation} w${window}: ` +
            measured.map((row, i) => `${servers[i].label} ${fmtNum(row.cpuUsPerToken, 1)} µs/token (pace ${fmtNum(idealMs / row.wallMs, 2)}, errors ${row.errors}, short ${row.short})`).join(', ') +
            '\n',
        );
      }
    } finally {
      for (const { server } of servers) await stopServer(server, profiles, ' (observe)');
    }
  }
  speed.end = speedIndex();
  return { rows, speed, shape, requests, generations: opts.observe };
}

/** Loads every server at once with the same scenario; each one's CPU over the same window (load, then tailMs). */
async function measureTogether(servers, scenario, tailMs) {
  const before = servers.map((s) => sumOver(s.pids, cpuMs));
  const t0 = performance.now();
  const loads = servers.map((server) => loadOn(server, scenario));
  const done = await Promise.all(loads.map((l) => l.done));
  await sleep(tailMs);
  const after = servers.map((s) => sumOver(s.pids, cpuMs));
  const windowMs = performance.now() - t0;
  return done.map(({ results, wallMs }, i) => {
    const summary = summarizeStreams(results);
    const cpu = after[i] - before[i];
    return { ...summary, wallMs, cpuMs: cpu, serverCpuPct: (cpu / windowMs) * 100, cpuUsPerToken: summary.tokens ? (cpu * 1000) / summary.tokens : NaN };
  });
}

/** Whether the observability phase runs: riser-bare and something to compare with it. */
const observing = (opts) => opts.observe > 0 && opts.servers.includes('riser-bare') && (opts.servers.includes('riser') || opts.servers.includes('riser-traced'));

/** CPU µs per token of a variant over every window of the phase (all its CPU ÷ all its tokens). */
function observedTotal(rows) {
  return (rows.reduce((n, r) => n + r.cpuMs, 0) * 1000) / rows.reduce((n, r) => n + r.tokens, 0);
}

/**
 * A variant's rows against the mean of `offs` (each a variant's rows, window by window): the
 * ratio of the totals, and its spread over the windows.
 */
function sideBySideRatio(a, offs) {
  offs = offs.filter((r) => r.length);
  if (!a.length || !offs.length) return { total: NaN, min: NaN, max: NaN };
  const mean = (f) => offs.reduce((n, r) => n + f(r), 0) / offs.length;
  const perWindow = a.map((row, i) => row.cpuUsPerToken / mean((r) => r[i].cpuUsPerToken)).filter(Number.isFinite);
  return { total: observedTotal(a) / mean(observedTotal), min: Math.min(...perWindow), max: Math.max(...perWindow) };
}

/** A variant against the mean of the two riser-bare processes (riser-bare alone when the A/A one is missing). */
const observedRatio = (results, label) => {
  const rows = results.observed?.rows ?? {};
  return sideBySideRatio(rows[label] ?? [], [rows['riser-bare'] ?? [], rows['riser-bare′'] ?? []]);
};

/** The A/A control: riser-bare ÷ riser-bare′ (NaN without both). */
const observedAA = (results) => {
  const rows = results.observed?.rows ?? {};
  return sideBySideRatio(rows['riser-bare'] ?? [], [rows['riser-bare′'] ?? []]);
};

function buildObservedTable(results) {
  const O = results.observed;
  if (!O) return '';
  const labels = Object.keys(O.rows);
  const sh = O.shape;
  const all = labels.flatMap((l) => O.rows[l]);
  const pace = all.length ? Math.min(...all.map((r) => r.idealMs / r.wallMs)) : NaN;
  const lines = [
    '',
    '',
    `**Observability cost, side by side** (${labels.join(', ')}): ${O.generations} generation(s) of fresh processes started together, each warmed up, then loaded at the same moment, ` +
      `${sh.concurrency} streams each × ${sh.tokens} tokens at ${sh.delay} ms/token, ${O.requests} requests a window, ${sh.windows} windows per generation; ` +
      `each window's CPU runs until ${(RUN_LOG_TTL_MS + 500) / 1000} s after its last stream. riser (metrics on) is scraped every ${SCRAPE_EVERY_MS / 1000} s; riser-traced exports every span. ` +
      `riser-bare′ is a second riser-bare (A/A: the method's own noise). Pace held (ideal ÷ real window time, slowest window): ${fmtNum(pace, 2)}. ` +
      `Machine speed ${fmtNum(O.speed.start, 0)} before, ${fmtNum(O.speed.end, 0)} after.`,
    '',
    `| | ${labels.join(' | ')} |`,
    `|---|${labels.map(() => '---:|').join('')}`,
    `| CPU µs per token (all windows) | ${labels.map((l) => fmtNum(observedTotal(O.rows[l]), 1)).join(' | ')} |`,
    `| server CPU % (median window) | ${labels.map((l) => fmtNum(median(O.rows[l].map((r) => r.serverCpuPct)), 0)).join(' | ')} |`,
    `| tokens | ${labels.map((l) => fmtNum(O.rows[l].reduce((n, r) => n + r.tokens, 0), 0)).join(' | ')} |`,
    `| errors / short streams | ${labels.map((l) => `${O.rows[l].reduce((n, r) => n + r.errors, 0)} / ${O.rows[l].reduce((n, r) => n + r.short, 0)}`).join(' | ')} |`,
    '',
    '| ratio (CPU µs per token) | all windows (min–max of the windows) |',
    '|---|---:|',
  ];
  for (const [label, what] of [
    ['riser', 'metrics on ÷ off (mean of riser-bare, riser-bare′)'],
    ['riser-traced', 'tracing on ÷ off (mean of riser-bare, riser-bare′)'],
  ]) {
    if (O.rows[label]) lines.push(`| ${what} | ${fmtRatio(observedRatio(results, label))} |`);
  }
  lines.push(`| A/A: riser-bare ÷ riser-bare′ | ${fmtRatio(observedAA(results))} |`);
  return lines.join('\n');
}

/** What the interleaved phase measures: (b) and (b-yield) on riser and baseline; empty when off or either is not run. */
function interleavePlan(opts) {
  const kinds = INTERLEAVED_KINDS.filter((k) => opts.servers.includes(k));
  if (opts.interleave === 0 || kinds.length < 2) return [];
  return ['b', 'y'].filter((key) => opts.only.includes(key)).map((key) => ({ key, kinds }));
}

/**
 * One server against another over a scenario's interleaved turns: the ratio of their totals
 * (CPU over all rounds ÷ tokens over all rounds, or tokens ÷ seconds), and its spread over the
 * rounds.
 */
function interleavedRatio(results, scenario, kind, other, key) {
  const a = results.interleaved?.rows[scenario]?.[kind] ?? [];
  const b = results.interleaved?.rows[scenario]?.[other] ?? [];
  if (!a.length || !b.length) return { total: NaN, min: NaN, max: NaN };
  const perRound = a.map((row) => row[key] / b.find((o) => o.round === row.round)?.[key]).filter(Number.isFinite);
  return { total: interleavedTotal(a, key) / interleavedTotal(b, key), min: Math.min(...perRound), max: Math.max(...perRound) };
}

function interleavedTotal(rows, key) {
  const tokens = rows.reduce((n, r) => n + r.tokens, 0);
  if (key === 'cpuUsPerToken') return (rows.reduce((n, r) => n + r.cpuMs, 0) * 1000) / tokens;
  if (key === 'framesPerSec') return tokens / (rows.reduce((n, r) => n + r.wallMs, 0) / 1000);
  throw new Error(`no total for ${key}`);
}

const fmtRatio = (r) => (Number.isFinite(r.total) ? `${r.total.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : '—');

function buildInterleavedTable(results, opts) {
  const I = results.interleaved;
  if (!I) return '';
  const scenarios = Object.keys(I.rows);
  const kinds = Object.keys(I.rows[scenarios[0]]);
  const lines = [
    '',
    '',
    `**Interleaved** (${scenarios.map((k) => `(${k})`).join(', ')}): ${kinds.join(', ')} running at once, each on its own database, measured in turns of ${I.requests} requests ` +
      `(the scenario's concurrency and tokens), ${I.rounds} rounds per scenario, the order reversed every other round; ` +
      `each turn's CPU window ends ${(RUN_LOG_TTL_MS + 500) / 1000} s after its last stream (its run logs expired). ` +
      `Machine speed ${fmtNum(I.speed.start, 0)} before, ${fmtNum(I.speed.end, 0)} after. Values: all rounds' CPU ÷ all rounds' tokens; ratios: of those totals (min–max of the rounds' own ratios).`,
    '',
    `| scenario | metric | ${kinds.join(' | ')} |`,
    `|---|---|${kinds.map(() => '---:|').join('')}`,
  ];
  const cell = (k, rows, f) => (rows[k]?.length ? f(rows[k]) : '—');
  for (const key of scenarios) {
    const rows = I.rows[key];
    lines.push(`| (${key}) | CPU µs per token | ${kinds.map((k) => cell(k, rows, (r) => fmtNum(interleavedTotal(r, 'cpuUsPerToken'), 1))).join(' | ')} |`);
    lines.push(`| (${key}) | token frames/s | ${kinds.map((k) => cell(k, rows, (r) => fmtNum(interleavedTotal(r, 'framesPerSec'), 0))).join(' | ')} |`);
    lines.push(`| (${key}) | errors / short streams | ${kinds.map((k) => cell(k, rows, (r) => `${r.reduce((n, x) => n + x.errors, 0)} / ${r.reduce((n, x) => n + x.short, 0)}`)).join(' | ')} |`);
  }
  const pairs = [
    ['b', 'riser', 'baseline', '(b) Riser ÷ baseline'],
    ['y', 'riser', 'baseline', '(y) Riser ÷ baseline'],
  ].filter(([k, a, b]) => I.rows[k]?.[a] && I.rows[k]?.[b]);
  if (pairs.length) {
    lines.push('', `| ratio | CPU µs per token | token frames/s |`, '|---|---:|---:|');
    for (const [k, a, b, label] of pairs) {
      lines.push(`| ${label} | ${fmtRatio(interleavedRatio(results, k, a, b, 'cpuUsPerToken'))} | ${fmtRatio(interleavedRatio(results, k, a, b, 'framesPerSec'))} |`);
    }
  }
  return lines.join('\n');
}

/** The in-process floor in a child process of its own, on a fresh database. */
async function runInProcess(opts, keys, mode) {
  const db = await createDatabase();
  try {
    const spec = {
      mode,
      databaseUrl: db.url,
      warmup: opts.warmup,
      scenarios: keys.map((k) => ({ name: k, ...pick(opts.scenarios[k], ['concurrency', 'requests', 'tokens', 'delay', 'yieldEach']) })),
    };
    const child = spawn(process.execPath, [resolve(BENCH, 'inprocess.mjs'), JSON.stringify(spec)], {
      cwd: ROOT,
      env: baseEnv({ NODE_ENV: 'production' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const { code } = await new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    children.delete(child);
    if (code !== 0) throw new Error(`in-process floor exited with ${code}:\n${err}`);
    const rows = {};
    for (const line of out.split('\n').filter(Boolean)) {
      const r = JSON.parse(line);
      rows[r.name] = {
        tokens: r.tokens,
        short: r.short,
        errors: r.errors,
        mismatches: r.mismatches,
        streams: opts.scenarios[r.name].requests,
        wallMs: r.wallMs,
        cpuUsPerToken: r.tokens ? r.cpuUs / r.tokens : NaN,
        framesPerSec: r.tokens / (r.wallMs / 1000),
      };
    }
    return rows;
  } finally {
    await dropDatabase(db.name).catch((e) => warn(`could not drop ${db.name}: ${e.message}`));
  }
}

// ---------------------------------------------------------------------------------------
// Statistics and formatting.

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function pick(obj, keys) {
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}

function spread(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return { median: median(v), min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN, n: v.length };
}

function fmtNum(x, digits) {
  if (!Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtSpread(values, digits) {
  const s = spread(values);
  if (!s.n) return '—';
  if (s.n === 1) return fmtNum(s.median, digits);
  return `${fmtNum(s.median, digits)} (${fmtNum(s.min, digits)}–${fmtNum(s.max, digits)})`;
}

/**
 * Ratios of two servers' values paired by repeat (each repeat runs both within a minute or
 * so): steadier than a ratio of medians on a machine whose speed drifts.
 */
function pairedRatios(rows, others, key) {
  const byRep = new Map(others.map((o) => [o.rep, o[key]]));
  return rows.map((r) => r[key] / byRep.get(r.rep)).filter((x) => Number.isFinite(x));
}

function fmtPaired(rows, others, key) {
  const s = spread(pairedRatios(rows, others, key));
  if (!s.n) return '—';
  return s.n === 1 ? `${s.median.toFixed(2)}×` : `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

const METRICS = [
  { key: 'cpuUsPerToken', label: 'CPU µs per token', digits: 1, inprocess: true },
  { key: 'framesPerSec', label: 'token frames/s', digits: 0, inprocess: true },
  { key: 'ttfbP50', label: 'TTFB p50 ms', digits: 1 },
  { key: 'ttfbP99', label: 'TTFB p99 ms', digits: 1 },
  { key: 'ttftP50', label: 'TTFT p50 ms', digits: 1 },
  { key: 'ttftP99', label: 'TTFT p99 ms', digits: 1 },
  { key: 'gapP50', label: 'inter-frame gap p50 ms', digits: 2 },
  { key: 'gapP99', label: 'inter-frame gap p99 ms', digits: 2 },
  { key: 'rssBeforeMb', label: 'RSS before MB', digits: 1, only: ['d'] },
  { key: 'rssOpenMb', label: 'RSS, all streams open, MB', digits: 1, only: ['d'] },
  { key: 'rssPerStreamKb', label: 'RSS per open stream KB', digits: 1, only: ['d'] },
  { key: 'rssPeakMb', label: 'RSS peak MB', digits: 1 },
  { key: 'listenOverflows', label: 'connections dropped by a full listen queue (client retries SYN after 1 s)', digits: 0, only: ['d'] },
  { key: 'serverCpuPct', label: 'server CPU, % of one core', digits: 0 },
  { key: 'clientCpuPct', label: 'load generator CPU, % of one core', digits: 0 },
  { key: 'redisSentPerRun', label: 'Redis commands per run, as the replicas send them', digits: 1, cluster: true },
  { key: 'redisRoundTripsPerRun', label: 'Redis round trips per run (sent by the replicas; a pipeline = 1, including commands of other runs sent with them)', digits: 1, cluster: true },
  { key: 'redisServerCommandsPerRun', label: 'Redis commands per run, as Redis counts them (incl. those run inside scripts)', digits: 1, cluster: true },
  { key: 'redisCpuUsPerToken', label: 'Redis server CPU µs per token (not in "CPU µs per token")', digits: 1, cluster: true },
];

/** Sums over repeats: "errors/streams". */
function fmtCount(rows, key) {
  if (!rows.length) return '—';
  const total = rows.reduce((n, r) => n + (r[key] ?? 0), 0);
  const streams = rows.reduce((n, r) => n + (r.streams ?? 0), 0);
  return key === 'mismatches' ? String(total) : `${total}/${streams}`;
}

function medianOf(rows, key) {
  return median(rows.map((r) => r[key]));
}

function buildTable(results, opts) {
  const lines = [];
  const hasIn = opts.servers.includes('inprocess');
  const hasCluster = opts.servers.includes('cluster');
  lines.push(
    `| scenario | metric | Riser | Cluster (${REPLICAS} replicas + Redis) | Baseline | In-process (messages) | In-process (handler) | Riser ÷ Baseline | Cluster ÷ Riser | Riser ÷ In-process (messages) | Riser ÷ In-process (handler) |`,
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const key of SHOW_ORDER) {
    if (!opts.only.includes(key)) continue;
    const sc = opts.scenarios[key];
    const r = results.riser[key] ?? [];
    const c = results.cluster[key] ?? [];
    const b = results.baseline[key] ?? [];
    const ip = results.inprocess[key] ?? [];
    const ih = results.inhandler[key] ?? [];
    let first = true;
    const row = (label, ...cells) => {
      lines.push(`| ${first ? `**${sc.title}**` : ''} | ${label} | ${cells.join(' | ')} |`);
      first = false;
    };
    for (const m of METRICS) {
      if (m.only && !m.only.includes(key)) continue;
      if (m.cluster && !hasCluster) continue;
      const rv = r.map((x) => x[m.key]);
      const cv = c.map((x) => x[m.key]);
      const bv = b.map((x) => x[m.key]);
      const iv = m.inprocess ? ip.map((x) => x[m.key]) : [];
      const hv = m.inprocess ? ih.map((x) => x[m.key]) : [];
      const floor = m.inprocess && hasIn;
      row(
        m.label,
        fmtSpread(rv, m.digits),
        fmtSpread(cv, m.digits),
        fmtSpread(bv, m.digits),
        floor ? fmtSpread(iv, m.digits) : '—',
        floor ? fmtSpread(hv, m.digits) : '—',
        fmtPaired(r, b, m.key),
        fmtPaired(c, r, m.key),
        floor ? fmtPaired(r, ip, m.key) : '—',
        floor ? fmtPaired(r, ih, m.key) : '—',
      );
    }
    if (key === 'd') {
      const yes = (rows) => (rows.length ? `${rows.filter((x) => x.allOpen).length}/${rows.length} (max ${Math.min(...rows.map((x) => x.maxOpen))})` : '—');
      row('repeats with every stream open at once', yes(r), yes(c), yes(b), '—', '—', '', '', '', '');
    }
    for (const [label, k] of [
      ['errors (streams)', 'errors'],
      ['short streams', 'short'],
      ['lost/extra/misordered tokens', 'mismatches'],
    ]) {
      row(label, fmtCount(r, k), fmtCount(c, k), fmtCount(b, k), fmtCount(ip, k), fmtCount(ih, k), '', '', '', '');
    }
  }
  return lines.join('\n');
}

/** CPU per token with metrics on, tracing on, against both off (paired by repeat). */
function buildObservabilityTable(results, opts) {
  const kinds = Object.keys(OBSERVED).filter((k) => opts.servers.includes(k));
  if (!kinds.length || !opts.servers.includes('riser-bare')) return '';
  const lines = ['', '', '**Observability cost** (Riser with metrics and tracing off, `riser-bare`, against each on; paired by repeat):', ''];
  lines.push(`| scenario | metric | off | ${kinds.map((k) => OBSERVED[k]).join(' | ')} | ${kinds.map((k) => `${OBSERVED[k]} ÷ off`).join(' | ')} |`);
  lines.push(`|---|---|---:|${kinds.map(() => '---:|').join('')}${kinds.map(() => '---:|').join('')}`);
  for (const key of SHOW_ORDER) {
    if (!opts.only.includes(key) || key === 'd') continue;
    for (const m of METRICS.filter((x) => ['cpuUsPerToken', 'ttftP99', 'gapP99'].includes(x.key))) {
      const off = results['riser-bare'][key] ?? [];
      const cells = kinds.map((k) => fmtSpread((results[k][key] ?? []).map((r) => r[m.key]), m.digits));
      const ratios = kinds.map((k) => fmtPaired(results[k][key] ?? [], off, m.key));
      lines.push(`| ${opts.scenarios[key].title} | ${m.label} | ${fmtSpread(off.map((r) => r[m.key]), m.digits)} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/**
 * (b)'s CPU split in two with (r): a run's own cost (r's CPU per run, C=10) and the cost of each
 * token after the first, ((b) per run − (r)) ÷ (tokens − 1). Medians over repeats; (b) at C=50
 * and (r) at C=10, so the split is an estimate. Not a target: it says which of the two a ratio
 * in (b) comes from.
 */
function splitOfB(results, opts) {
  if (!opts.only.includes('b') || !opts.only.includes('r')) return [];
  const tokens = opts.scenarios.b.tokens;
  const rows = [
    ['Riser', results.riser],
    ['baseline', results.baseline],
    ['in-process (handler)', results.inhandler],
  ].filter(([, set]) => set.b?.length && set.r?.length);
  if (!rows.length) return [];
  const out = [`Split of (b) (not a target): CPU per run from (r), and per token after a run's first, ((b) per run − (r)) ÷ ${tokens - 1}:`, ''];
  out.push('| server | CPU ms per run (r) | CPU µs per further token | (b) CPU ms per run |', '|---|---:|---:|---:|');
  for (const [label, set] of rows) {
    const perRun = medianOf(set.r, 'cpuUsPerToken');
    const perRunB = medianOf(set.b, 'cpuUsPerToken') * tokens;
    out.push(`| ${label} | ${fmtNum(perRun / 1000, 2)} | ${fmtNum((perRunB - perRun) / (tokens - 1), 1)} | ${fmtNum(perRunB / 1000, 2)} |`);
  }
  return out;
}

function evaluateTargets(results, opts) {
  const R = results.riser;
  const B = results.baseline;
  const I = results.inprocess;
  const H = results.inhandler;
  const has = (k) => opts.only.includes(k);
  const m = (set, k, key) => (set[k]?.length ? medianOf(set[k], key) : NaN);
  const ratio = (set, k, key) => median(pairedRatios(R[k] ?? [], set[k] ?? [], key));
  const targets = [];
  /** Each target compares the median over repeats of Riser ÷ the other, paired by repeat. */
  const add = (text, applicable, value, met, detail) => {
    targets.push({ text, status: !applicable || !Number.isFinite(value) ? 'n/a' : met ? 'MET' : 'NOT MET', detail });
  };
  const f = (x, d = 1) => fmtNum(x, d);
  const x = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '—');
  /** (b)'s and (b-yield)'s CPU and frame-rate targets are judged on the interleaved turns when the run has them. */
  const judged = (kind, other, key, sequential, scenario = 'b') => {
    const il = interleavedRatio(results, scenario, kind, other, key);
    if (!Number.isFinite(il.total)) return { r: sequential, how: 'judged on the sequential repeats (no interleaved turns)' };
    return { r: il.total, how: `interleaved ${fmtRatio(il)}` };
  };
  // Issue 13's targets: judged side by side (measureObserved) when the run has that phase, its
  // A/A control within OBSERVE_AA_TOLERANCE; else on (b)'s sequential repeats.
  const aa = observedAA(results);
  for (const [kind, limit] of [
    ['riser', 1.03],
    ['riser-traced', 1.1],
  ]) {
    const O = results[kind];
    const off = results['riser-bare'];
    const seq = median(pairedRatios(O.b ?? [], off.b ?? [], 'cpuUsPerToken'));
    const side = observedRatio(results, kind);
    const seqText = `(b) sequential repeats: ${f(m(O, 'b', 'cpuUsPerToken'))} vs ${f(m(off, 'b', 'cpuUsPerToken'))} µs, ${x(seq)}`;
    if (Number.isFinite(side.total)) {
      const resolved = Number.isFinite(aa.total) && Math.abs(aa.total - 1) <= OBSERVE_AA_TOLERANCE;
      add(
        `CPU µs per token, ${OBSERVED[kind]}: ≤ ${limit} × both off (side by side at a model's pace, A/A within ±${OBSERVE_AA_TOLERANCE * 100} %)`,
        true,
        side.total,
        side.total <= limit && resolved,
        `${fmtRatio(side)}; A/A riser-bare ÷ riser-bare′ ${fmtRatio(aa)}${resolved ? '' : ' (outside the tolerance: the phase cannot resolve the target)'}; ${seqText}`,
      );
    } else {
      add(`(b) CPU µs per token, ${OBSERVED[kind]}: ≤ ${limit} × both off`, has('b') && opts.servers.includes(kind) && opts.servers.includes('riser-bare'), seq, seq <= limit, `judged on ${seqText}`);
    }
  }
  // Issue 14's targets: Riser as users run it (metrics on) against the hand-written server.
  {
    const seq = ratio(B, 'b', 'cpuUsPerToken');
    const { r, how } = judged('riser', 'baseline', 'cpuUsPerToken', seq);
    add(
      '(b) CPU µs per token: Riser ≤ 0.85 × baseline (stretch 0.75 ×)',
      has('b'),
      r,
      r <= 0.85,
      `${how}${r <= 0.75 ? ' (stretch met)' : ''}; sequential repeats: ${f(m(R, 'b', 'cpuUsPerToken'))} vs ${f(m(B, 'b', 'cpuUsPerToken'))} µs, Riser ÷ baseline ${x(seq)}`,
    );
  }
  {
    const seq = ratio(B, 'b', 'framesPerSec');
    const { r, how } = judged('riser', 'baseline', 'framesPerSec', seq);
    add(
      '(b) token frames/s: Riser ≥ 1.15 × baseline',
      has('b'),
      r,
      r >= 1.15,
      `${how}; sequential repeats: ${f(m(R, 'b', 'framesPerSec'), 0)} vs ${f(m(B, 'b', 'framesPerSec'), 0)}, Riser ÷ baseline ${x(seq)}`,
    );
  }
  {
    const seq = ratio(B, 'y', 'cpuUsPerToken');
    const { r, how } = judged('riser', 'baseline', 'cpuUsPerToken', seq, 'y');
    add(
      '(b-yield) CPU µs per token, a token per macrotask: Riser ≤ 0.75 × baseline',
      has('y'),
      r,
      r <= 0.75,
      `${how}; sequential repeats: ${f(m(R, 'y', 'cpuUsPerToken'))} vs ${f(m(B, 'y', 'cpuUsPerToken'))} µs, Riser ÷ baseline ${x(seq)}`,
    );
  }
  {
    const r = ratio(B, 'c', 'gapP99');
    add(
      '(c) p99 inter-frame gap: Riser ≤ baseline',
      has('c'),
      r,
      r <= 1,
      `${f(m(R, 'c', 'gapP99'), 2)} vs ${f(m(B, 'c', 'gapP99'), 2)} ms (ideal 20 ms), Riser ÷ baseline ${x(r)}`,
    );
  }
  for (const k of ['b', 'c']) {
    const r = ratio(B, k, 'ttfbP99');
    add(`(${k}) p99 TTFB: Riser ≤ baseline`, has(k), r, r <= 1, `${f(m(R, k, 'ttfbP99'))} vs ${f(m(B, k, 'ttfbP99'))} ms, Riser ÷ baseline ${x(r)}`);
  }
  {
    const r = ratio(B, 'd', 'rssPerStreamKb');
    const rows = R.d ?? [];
    const complete = rows.length > 0 && rows.every((row) => row.short === 0 && row.errors === 0 && row.allOpen);
    add(
      '(d) RSS per open stream: Riser ≤ 0.8 × baseline, every stream complete',
      has('d'),
      r,
      r <= 0.8 && complete,
      `${f(m(R, 'd', 'rssPerStreamKb'))} vs ${f(m(B, 'd', 'rssPerStreamKb'))} KB, Riser ÷ baseline ${x(r)}; Riser: ${complete ? 'every stream open at once and complete' : 'NOT every stream open at once and complete'}`,
    );
  }
  {
    const r = ratio(I, 'b', 'cpuUsPerToken');
    const h = ratio(H, 'b', 'cpuUsPerToken');
    add(
      'stretch: (b) Riser CPU per token ≤ 1.25 × in-process (messages mode)',
      has('b'),
      r,
      r <= 1.25,
      `${f(m(R, 'b', 'cpuUsPerToken'))} vs ${f(m(I, 'b', 'cpuUsPerToken'))} µs, Riser ÷ in-process ${x(r)}; against the in-process handler floor (${f(m(H, 'b', 'cpuUsPerToken'))} µs): ${x(h)}`,
    );
  }
  {
    let short = 0;
    let mism = 0;
    let n = 0;
    for (const k of Object.keys(R)) for (const row of R[k]) (short += row.short), (mism += row.mismatches), (n += 1);
    add('no lost tokens: Riser short streams = 0 (and no lost/misordered tokens)', n > 0, n > 0 ? short : NaN, short === 0 && mism === 0, `${short} short streams, ${mism} token mismatches`);
  }
  // Scale-out: two replicas sharing runs through Redis against the single process.
  const C = results.cluster;
  const cr = (k, key) => median(pairedRatios(C[k] ?? [], R[k] ?? [], key));
  {
    const r = cr('b', 'cpuUsPerToken');
    add(
      '(b) cluster CPU µs per token (both replicas): ≤ 1.3 × single-process Riser',
      has('b'),
      r,
      r <= 1.3,
      `${f(m(C, 'b', 'cpuUsPerToken'))} vs ${f(m(R, 'b', 'cpuUsPerToken'))} µs, cluster ÷ Riser ${x(r)} (+ Redis ${f(m(C, 'b', 'redisCpuUsPerToken'))} µs per token in Redis itself); ` +
        `frames/s ${x(cr('b', 'framesPerSec'))}, p99 gap ${x(cr('b', 'gapP99'))}` +
        (has('c') ? `; (c) p99 gap ${f(m(C, 'c', 'gapP99'), 2)} vs ${f(m(R, 'c', 'gapP99'), 2)} ms, ${x(cr('c', 'gapP99'))}` : ''),
    );
  }
  {
    let short = 0;
    let mism = 0;
    let errors = 0;
    let n = 0;
    for (const k of Object.keys(C)) for (const row of C[k]) (short += row.short), (mism += row.mismatches), (errors += row.errors), (n += 1);
    add(
      'cluster: no lost or duplicated token (short streams = 0, token mismatches = 0, no stream with an error, a repeated or decreasing id, or data after [DONE])',
      n > 0,
      n > 0 ? short + mism + errors : NaN,
      short === 0 && mism === 0 && errors === 0,
      `${short} short streams, ${mism} token mismatches, ${errors} streams with errors`,
    );
  }
  {
    // Judged on the commands the replicas send per run: round trips also count how many runs'
    // commands ioredis sent together, which (b)'s 50 concurrent runs do and (a)'s one does not.
    const a = m(C, 'a', 'redisSentPerRun');
    const b = m(C, 'b', 'redisSentPerRun');
    const r = a / b;
    const tokens = opts.scenarios.a.tokens / opts.scenarios.b.tokens;
    add(
      `cluster: Redis commands per run independent of tokens: (a) ${fmtNum(opts.scenarios.a.tokens, 0)}-token runs ≤ 2 × (b) ${fmtNum(opts.scenarios.b.tokens, 0)}-token runs (${tokens}× the tokens)`,
      has('a') && has('b'),
      r,
      r <= 2,
      `${f(a)} vs ${f(b)} commands sent per run, (a) ÷ (b) ${x(r)}; round trips ${f(m(C, 'a', 'redisRoundTripsPerRun'))} vs ${f(m(C, 'b', 'redisRoundTripsPerRun'))} ((b)'s runs share pipelines); as Redis counts commands (scripts' inner ones included): ${f(m(C, 'a', 'redisServerCommandsPerRun'))} vs ${f(m(C, 'b', 'redisServerCommandsPerRun'))}`,
    );
  }
  return targets;
}

function machineInfo() {
  const cpuModel = (/model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown').trim();
  const git = (args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const commit = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    cpuModel,
    cores: os.cpus().length,
    ramGb: os.totalmem() / 2 ** 30,
    node: process.version,
    date: new Date().toISOString(),
    commit: dirty ? `${commit} + uncommitted changes` : commit,
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

/** A fixed piece of CPU work, timed: how fast the machine is right now. */
function speedIndex() {
  const doc = { messages: Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, role: 'ai', content: `tok${i} `.repeat(20) })) };
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 500) {
    JSON.parse(JSON.stringify(doc));
    n += 1;
  }
  return n / ((performance.now() - t0) / 1000);
}

function jestRunning() {
  const r = spawnSync('pgrep', ['-f', 'jest'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

function scenarioLine(sc) {
  return `(${sc.key}) C=${sc.concurrency}, ${sc.requests} requests × ${sc.tokens} tokens, ${sc.yieldEach ? 'a macrotask' : `${sc.delay} ms`} between tokens`;
}

function renderRun({ opts, machine, pgVersion, redisVersion, table, targets, split, durationS, notes, argv, speed }) {
  const mode = opts.quick ? 'quick' : 'full';
  const out = [];
  out.push(`### Run ${machine.date} — ${mode} — ${machine.commit}`);
  out.push('');
  out.push(`- machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb.toFixed(1)} GB RAM; load average at start ${machine.loadavg}`);
  out.push(`- Node ${machine.node}; ${pgVersion}${redisVersion ? `; ${redisVersion}` : ''}`);
  out.push(
    `- commit ${machine.commit}; finished in ${durationS.toFixed(0)} s; ${opts.repeats} repeats: values are the median (min–max) over repeats, ratios the median (min–max) of the per-repeat ratios`,
  );
  out.push(
    `- machine speed (JSON round-trips/s in the bench process, to tell runs on a slower moment apart): ${fmtNum(speed.start, 0)} at start, ${fmtNum(speed.end, 0)} at end`,
  );
  out.push(`- command: \`npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}\``);
  out.push(
    `- Riser: \`NODE_ENV=production PORT=… HOST=127.0.0.1 DATABASE_URL=<fresh db> JWT_SECRET=… LOG_LEVEL=warn LANGGRAPH_JSON=bench/langgraph.json RUN_LOG_TTL_MS=${RUN_LOG_TTL_MS} RATE_LIMIT_PER_MINUTE=0 METRICS_PORT=<free port> node dist/src/main.js\` (run from a copy of dist/ taken right after the build, bench/out/riser-build/), as users run it: auth on, Postgres checkpoints, metrics on and scraped every ${SCRAPE_EVERY_MS / 1000} s (docker/prometheus/prometheus.yml's interval); \`riser-bare\`: the same with \`METRICS_PORT=0\` (metrics and tracing off); \`riser-traced\`: metrics off, with \`OTEL_EXPORTER_OTLP_ENDPOINT\` (http/protobuf to a sink in the bench process) and \`OTEL_TRACES_SAMPLER=always_on\`` +
      (opts.profile.includes('riser') ? ' with `--cpu-prof` (profiled: numbers include the profiler)' : ''),
  );
  if (opts.servers.includes('cluster')) {
    out.push(
      `- cluster: ${REPLICAS} Riser processes as above, started together on one fresh database, each with \`REDIS_URL=${redactUrl(REDIS_URL)} REDIS_PREFIX=<fresh prefix>\` and \`--import bench/out/redis-counter.mjs\` (counts the commands it sends to Redis); request i goes to replica i mod ${REPLICAS}, which starts the run and streams it; CPU and RSS are both processes' together; Redis round trips = commands the replicas sent (a pipeline or MULTI = 1), per run of the phase; Redis commands and CPU from Redis's INFO (server-wide)`,
    );
  }
  out.push(
    '- baseline: `NODE_ENV=production PORT=… HOST=127.0.0.1 DATABASE_URL=<fresh db> node bench/baseline-server.mjs`' +
      (opts.profile.includes('baseline') ? ' with `--cpu-prof` (profiled)' : ''),
  );
  out.push(
    '- in-process: `node bench/inprocess.mjs <spec>`, no HTTP, PostgresSaver: "messages" = `graph.stream(…, {streamMode: "messages"})` as the baseline reads tokens; "handler" = `graph.invoke` with one bare awaited callback handler taking `handleLLMNewToken`, as Riser reads them',
  );
  out.push(`- scenarios: ${opts.only.map((k) => scenarioLine(opts.scenarios[k])).join('; ')}`);
  out.push(
    '- each repeat starts each server afresh on a fresh database twice: once for (d) (light warm-up, then d), once for a, b, c (warm-up, then a, b, c); the servers run one after the other (order reversed every other repeat), never together; CPU = utime+stime of the server process from /proc over the measured phase; TTFB = response headers, TTFT = first token frame, gaps between token frames of one stream (frames read in one chunk are 0 ms apart)',
  );
  for (const n of notes) out.push(`- note: ${n}`);
  out.push('');
  out.push(table);
  out.push('');
  out.push('Targets:');
  out.push('');
  for (const t of targets) out.push(`- **${t.status}** — ${t.text}: ${t.detail}`);
  out.push('');
  if (split.length) out.push(...split, '');
  return out.join('\n');
}

function writeResults(runText) {
  const header = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.mjs; see bench/README.md). The newest run is under "Latest"; each run moves the',
    `one before it under "Previous runs" (every run is kept), so regressions show.`,
    '',
  ].join('\n');
  let previous = [];
  // Hand-written sections between the header and "## Latest" (the profile analysis) are kept.
  let notes = '';
  if (existsSync(RESULTS_MD)) {
    const text = readFileSync(RESULTS_MD, 'utf8');
    const latestAt = text.indexOf('\n## Latest\n');
    const notesAt = text.indexOf('\n## ');
    if (latestAt !== -1 && notesAt !== -1 && notesAt < latestAt) notes = text.slice(notesAt + 1, latestAt).trim();
    const prevAt = text.indexOf('\n## Previous runs\n');
    const blocks = (s) =>
      s
        .split(/^(?=### Run )/m)
        .map((b) => b.trim())
        .filter((b) => b.startsWith('### Run '));
    if (latestAt !== -1) previous.push(...blocks(text.slice(latestAt, prevAt === -1 ? undefined : prevAt)));
    if (prevAt !== -1) previous.push(...blocks(text.slice(prevAt)));
  }
  previous = previous.slice(0, KEEP_PREVIOUS);
  const parts = [header, ...(notes ? [notes, ''] : []), '## Latest', '', runText.trim(), ''];
  if (previous.length) parts.push('## Previous runs', '', previous.join('\n\n'), '');
  writeFileSync(RESULTS_MD, parts.join('\n'));
}

// ---------------------------------------------------------------------------------------
// Main.

async function cleanup() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const name of [...databases]) await dropDatabase(name).catch(() => undefined);
  for (const prefix of [...redisPrefixes]) await deleteRedisKeys(prefix).catch(() => undefined);
  benchRedis?.disconnect();
  if (lockPath) rmSync(lockPath, { force: true });
}

/** One bench at a time on a machine: two would share the cores and measure each other. */
function takeLock() {
  mkdirSync(OUT, { recursive: true });
  const lock = resolve(OUT, 'bench.lock');
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`another bench is running (pid ${pid}, ${relative(ROOT, lock)}): wait for it`);
  }
  writeFileSync(lock, String(process.pid));
  lockPath = lock;
}
let lockPath;

async function main() {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  takeLock();
  const started = Date.now();
  const notes = [];
  let jestSeen = jestRunning();
  if (jestSeen) warn('a Jest process is running: numbers are disturbed (and the build replaces dist/ under it)');
  if (opts.build) {
    process.stderr.write('bench: npm run build\n');
    const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  snapshotBuild();
  const machine = machineInfo();
  const speedStart = speedIndex();
  const pgVersion = await admin((c) => c.query('SHOW server_version')).then(
    (r) => `PostgreSQL ${r.rows[0].server_version} (${new URL(SERVER_URL).host})`,
    (err) => {
      throw new Error(`cannot reach Postgres at ${SERVER_URL.replace(/\/\/[^@]*@/, '//…@')}: ${err.message}`);
    },
  );
  const limit = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  const maxConc = Math.max(...opts.only.map((k) => opts.scenarios[k].concurrency));
  if (Number(limit) && Number(limit) < maxConc * 2 + 200) {
    const msg = `ulimit -n is ${limit}: too low for ${maxConc} streams (client and server each hold a socket per stream)`;
    warn(msg);
    notes.push(msg);
  }
  let redisVersion;
  if (opts.servers.includes('cluster')) {
    const r = await connectRedis();
    if (r.error) {
      const msg = `cluster skipped: ${r.error} (set REDIS_URL, or start Redis on 127.0.0.1:6379)`;
      warn(msg);
      notes.push(msg);
      opts.servers = opts.servers.filter((s) => s !== 'cluster');
    } else redisVersion = r.version;
  }
  if (opts.servers.includes('cluster')) writeFileSync(REDIS_COUNTER, REDIS_COUNTER_SOURCE);
  const kinds = opts.servers.filter((s) => s !== 'inprocess');
  const results = { riser: {}, 'riser-bare': {}, 'riser-traced': {}, cluster: {}, baseline: {}, inprocess: {}, inhandler: {} };
  const push = (kind, key, row) => ((results[kind][key] ??= []), results[kind][key].push(row));
  // (d) on a process of its own, measured right after a light warm-up: its "RSS before" is not
  // inflated by other scenarios, and the garbage of its 1,000 streams does not land in theirs.
  const groups = [];
  // --quick measures (d) on a cold process (no warm-up, so nothing to wait out): both servers alike.
  if (opts.only.includes('d')) {
    groups.push(opts.quick ? { keys: ['d'], warmup: [], settleMs: 250 } : { keys: ['d'], warmup: QUICK_WARMUP, settleMs: RUN_LOG_TTL_MS + 500 });
  }
  const cpuKeys = ['a', 'b', 'y', 'c', 'r'].filter((k) => opts.only.includes(k));
  if (cpuKeys.length) groups.push({ keys: cpuKeys, warmup: opts.warmup, settleMs: 500 });
  const profiles = [];

  process.stderr.write(
    `bench: ${opts.quick ? 'quick' : 'full'}, scenarios ${opts.only.join(',')}, ${opts.repeats} repeats, servers ${opts.servers.join(',')}\n`,
  );
  for (let rep = 1; rep <= opts.repeats; rep++) {
    const order = rep % 2 === 1 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      for (const group of groups) {
        if (!jestSeen && jestRunning()) {
          jestSeen = true;
          warn('a Jest process is running: numbers are disturbed');
        }
        const server = await startServer(kind, opts, `${RUN_ID}-rep${rep}-${group.keys.join('')}`);
        try {
          await warmUp(server, group.warmup);
          // Let warm-up runs leave Riser's run registry (RUN_LOG_TTL_MS) before anything is measured.
          await sleep(group.settleMs);
          for (const key of group.keys) {
            const row = await measure(server, opts.scenarios[key]);
            push(kind, key, { rep, ...row });
            process.stderr.write(
              `bench: rep ${rep} ${kind.padEnd(13)} ${key}: ${fmtNum(row.cpuUsPerToken, 1)} µs/token, ${fmtNum(row.framesPerSec, 0)} frames/s, ` +
                `TTFB p99 ${fmtNum(row.ttfbP99, 1)} ms, gap p99 ${fmtNum(row.gapP99, 2)} ms` +
                (key === 'd' ? `, RSS/stream ${fmtNum(row.rssPerStreamKb, 1)} KB (all open: ${row.allOpen})` : '') +
                `, errors ${row.errors}, short ${row.short}; CPU server ${row.serverCpuPct.toFixed(0)}%, load generator ${row.clientCpuPct.toFixed(0)}%` +
                (server.redis
                  ? `; Redis ${fmtNum(row.redisRoundTripsPerRun, 1)} round trips/run ${JSON.stringify(row.redisSentByName)}, ${fmtNum(row.redisServerCommandsPerRun, 1)} commands/run in Redis, ${fmtNum(row.redisCpuUsPerToken, 1)} µs/token Redis CPU`
                  : '') +
                (row.errors ? ` ${JSON.stringify(row.errorCodes)}` : '') +
                '\n',
            );
            await sleep(opts.quick ? 250 : 1000);
          }
        } finally {
          await stopServer(server, profiles);
        }
      }
    }
    const inKeys = INPROCESS_SCENARIOS.filter((k) => opts.only.includes(k));
    // The floors move least between repeats: --quick measures them once.
    if (opts.servers.includes('inprocess') && inKeys.length && (!opts.quick || rep === 1)) {
      for (const [mode, kind] of [
        ['messages', 'inprocess'],
        ['handler', 'inhandler'],
      ]) {
        const rows = await runInProcess(opts, inKeys, mode);
        for (const [key, row] of Object.entries(rows)) {
          push(kind, key, { rep, ...row });
          process.stderr.write(
            `bench: rep ${rep} ${kind} ${key}: ${fmtNum(row.cpuUsPerToken, 1)} µs/token, ${fmtNum(row.framesPerSec, 0)} tokens/s, short ${row.short}\n`,
          );
        }
      }
    }
  }

  const plan = interleavePlan(opts);
  if (plan.length) results.interleaved = await measureInterleaved(opts, plan, profiles);
  if (observing(opts)) results.observed = await measureObserved(opts, profiles);

  const durationS = (Date.now() - started) / 1000;
  const table = buildTable(results, opts) + buildObservabilityTable(results, opts) + buildInterleavedTable(results, opts) + buildObservedTable(results);
  const targets = evaluateTargets(results, opts);
  const split = splitOfB(results, opts);
  if (jestSeen || jestRunning()) notes.push('a Jest process was running during the bench (seen at a server start or at the end): numbers are disturbed');
  const speed = { start: speedStart, end: speedIndex() };
  const runText = renderRun({ opts, machine, pgVersion, redisVersion, table, targets, split, durationS, notes, argv, speed });
  process.stdout.write(`\n${runText}\n`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(resolve(OUT, 'last-run.json'), `${JSON.stringify({ machine, opts, results }, null, 1)}\n`);
  if (opts.write) {
    writeResults(runText);
    process.stderr.write(`bench: wrote ${relative(ROOT, RESULTS_MD)} and ${relative(ROOT, resolve(OUT, 'last-run.json'))}\n`);
  }
  for (const p of profiles) {
    if (existsSync(p)) process.stderr.write(`bench: CPU profile ${relative(ROOT, p)}\n`);
    else warn(`profile ${relative(ROOT, p)} was not written`);
  }
}

// A closed pipe (`npm run bench | head`) must not kill the bench before it stops its servers.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    warn('interrupted: stopping servers and dropping databases');
    cleanup().finally(() => process.exit(130));
  });
}

main().then(
  () => cleanup(),
  async (err) => {
    warn(err?.stack ?? String(err));
    await cleanup();
    process.exitCode = 1;
  },
);
