import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './riser-process.js';

/** The nginx binary, if this machine has one (Debian's `nginx` / `nginx-light` packages). */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/**
 * Runs docker/nginx.conf — the file compose mounts — in front of one or several Risers on
 * 127.0.0.1, with only the upstream servers and listen port changed, under a throwaway prefix.
 * Compose's one `server riser:3000 resolve …;` line (Docker's DNS answers with every replica)
 * becomes one `server` line per port here, with the same parameters but `resolve`.
 */
export async function startNginx(riserPorts: number | number[]): Promise<{ url: string; accessLog(): string; stop(): Promise<void> }> {
  const binary = findNginx();
  if (!binary) throw new Error('nginx is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'riser-nginx-'));
  for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const site = readFileSync(resolve(__dirname, '../../docker/nginx.conf'), 'utf8')
    .replace(/server riser:\d+([^;]*);/, (_, params: string) =>
      [riserPorts]
        .flat()
        .map((p) => `server 127.0.0.1:${p}${params.replace(' resolve', '')};`)
        .join('\n  '),
    )
    // Docker's embedded DNS exists only inside compose; the servers above are addresses.
    .replace(/^\s*resolver .*;$/m, '')
    .replace(/listen \d+;/, `listen 127.0.0.1:${port};`)
    .replace(/\/var\/log\/nginx\//g, `${dir}/logs/`);
  writeFileSync(join(dir, 'riser.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  include ${dir}/riser.conf;
}
`,
  );
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      await fetch(`${url}/health/live`);
      break;
    } catch {
      if (i > 100) throw new Error(`nginx did not answer: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    accessLog: () => (existsSync(join(dir, 'logs/access.log')) ? readFileSync(join(dir, 'logs/access.log'), 'utf8') : ''),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
