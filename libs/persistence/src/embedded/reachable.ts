import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Whether a user can walk down to `dir`: every existing ancestor must grant it execute
 * permission (as owner, group or other). Postgres runs as an unprivileged user, and a data
 * folder under, say, /root (mode 700) is out of its reach.
 */
export function isReachableBy(dir: string, uid: number, gids: readonly number[]): boolean {
  let current = resolve(dir);
  for (;;) {
    let stat;
    try {
      stat = statSync(current);
    } catch {
      stat = undefined; // Not created yet: its parent decides.
    }
    if (stat) {
      const mode = stat.mode;
      const ok = stat.uid === uid ? (mode & 0o100) !== 0 : gids.includes(stat.gid) ? (mode & 0o010) !== 0 : (mode & 0o001) !== 0;
      if (!ok) return false;
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}
