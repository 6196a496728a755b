import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';

/**
 * Makes the data folder startable after the process that owned it died.
 *
 * After `kill -9` of Riser, its Postgres child is orphaned and keeps the folder's lock
 * (`postmaster.pid`); Postgres refuses to start while that process lives. When the lock names
 * a live Postgres serving this very folder, it is asked to shut down (fast, then immediate);
 * a lock naming a dead or unrelated process is removed, as Postgres itself would do.
 */
export async function clearStalePostmaster(dataDir: string, timeoutMs = 15_000): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return;
  const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !servesFolder(pid, dataDir)) {
    rmSync(lockFile, { force: true });
    return;
  }
  signal(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  let escalated = false;
  while (isAlive(pid)) {
    if (!escalated && Date.now() > deadline - timeoutMs / 3) {
      signal(pid, 'SIGQUIT');
      escalated = true;
    }
    if (Date.now() > deadline) throw new Error(`an old Postgres (pid ${pid}) still holds ${dataDir}`);
    await sleep(100);
  }
}

function servesFolder(pid: number, dataDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((arg) => arg.endsWith('postgres')) && cmdline.includes(dataDir);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}
