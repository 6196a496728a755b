// `npm run token`: mints with the build the server runs from, and never rebuilds it.
//
// It used to rebuild dist/ first (with --delete-dir-on-start), which rewrote the files a
// running server was loaded from and made two token commands at once fail with ENOTEMPTY.
// Now dist/ is only built when it is missing (a fresh checkout), into a folder of its own
// that is then renamed into place: a concurrent build loses the rename and uses the winner's.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const cli = join(dist, 'src/cli/token.js');

if (!existsSync(cli)) {
  const staging = join(root, `.dist-${process.pid}`);
  const swc = join(root, 'node_modules/@swc/cli/bin/swc.js');
  const built = spawnSync(process.execPath, [swc, 'src', 'libs', '-d', staging, '--quiet'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    process.exit(built.status ?? 1);
  }
  try {
    renameSync(staging, dist);
  } catch {
    // Someone else's build got there first (or dist/ exists without the CLI): use theirs.
    rmSync(staging, { recursive: true, force: true });
  }
}
await import(pathToFileURL(cli).href);
