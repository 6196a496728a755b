import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it), or CHROMIUM_PATH. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** One browser per suite; each user gets a context of its own (its own sessionStorage). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Screenshots of each step go here (git-ignored), kept as the suite's artifacts. */
export function artifactsDir(suite: string): string {
  const dir = resolve(__dirname, '../artifacts', suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A page that records what it logs as an error (console errors and uncaught exceptions),
 * so a suite can hold the page to "no console errors". `expected` lets a test name the
 * network errors it causes on purpose (a 401 at sign-in, a 409 already_decided).
 */
export async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[]; expect(pattern: RegExp): void }> {
  const page = await context.newPage();
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    const text = `${message.text()} (${message.location().url})`;
    if (!allowed.some((p) => p.test(text))) errors.push(text);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return { page, errors, expect: (pattern) => allowed.push(pattern) };
}

export async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
