import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createServer } from 'node:net';

const ROOT = resolve(__dirname, '../..');
const MAIN = resolve(ROOT, 'dist/src/main.js');
const TOKEN = resolve(ROOT, 'dist/src/cli/token.js');

const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, never one handed out before in this process: fetch keeps
 * keep-alive connections per origin, and a new server on a dead one's port would get them.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function anyFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * The environment of a fresh machine: no DATABASE_URL, no JWT settings, nothing of ours —
 * but metrics off unless a test asks for them: the fixed default port (9464) would collide
 * between suites running side by side.
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { METRICS_PORT: '0' };
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

export interface RiserProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the built service as `npm start` does (`node dist/src/main.js`), and waits until it
 * answers. The build comes from `npm test`, which builds before Jest runs.
 */
export async function startRiserProcess(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<RiserProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + timeoutMs;
  // Ready when it answers its liveness route (whatever LOG_LEVEL says).
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Riser exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Riser did not start within ${timeoutMs} ms:\n${output}`);
    }
    const live = await fetch(`${url}/health/live`).then((r) => r.ok, () => false);
    if (live) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, output: () => output, exited };
}

/** `npm run token` without npm: the same script, the same environment. */
export function mintWithCli(env: NodeJS.ProcessEnv, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [TOKEN, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}
