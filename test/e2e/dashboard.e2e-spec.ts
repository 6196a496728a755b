import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bearer, openSse } from '@riser/testing';
import { freePort } from '../support/riser-process.js';
import { scrape } from '../support/metrics.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const dashboard = JSON.parse(readFileSync(resolve(__dirname, '../../docker/grafana/riser-dashboard.json'), 'utf8'));

/** Every metric name a PromQL expression reads (histogram series mapped to their metric). */
function metricsIn(expr: string): string[] {
  const names = [...expr.matchAll(/\b((?:riser|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]);
  return names.map((n) => n.replace(/_(bucket|sum|count)$/, ''));
}

describe('docker/grafana/riser-dashboard.json against a real scrape', () => {
  let riser: RiserTestApp;
  let metricsUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    riser = await startRiser({ env: { METRICS_PORT: String(port) } });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(() => riser.destroy());

  it('queries only metrics a running Riser exports', async () => {
    // One streamed run, so the labelled series exist as well as their HELP lines.
    const token = riser.token('dora', { tenant: 'acme' });
    await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'hello dashboard' } })).collect();
    const exported = new Set((await scrape(metricsUrl)).names);
    const queried = new Set<string>(
      dashboard.panels.flatMap((panel: { targets?: { expr: string }[] }) => (panel.targets ?? []).flatMap((t) => metricsIn(t.expr))),
    );
    expect(queried.size).toBeGreaterThan(20);
    expect([...queried].filter((name) => !exported.has(name)).sort()).toEqual([]);
  });

  it('shows every riser_ metric the README lists', () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| `(riser_[a-z0-9_]+)` \|/gm)].map((m) => m[1]);
    const queried = JSON.stringify(dashboard);
    expect(listed.length).toBeGreaterThan(20);
    expect(listed.filter((name) => !queried.includes(name))).toEqual([]);
  });

  it('the README lists every riser_ metric a scrape has, with its type', async () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    const listed = new Map([...readme.matchAll(/^\| `(riser_[a-z0-9_]+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]));
    const { text } = await scrape(metricsUrl);
    const exported = new Map([...text.matchAll(/^# TYPE (riser_\S+) (\w+)/gm)].map((m) => [m[1], m[2]]));
    expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(exported));
  });
});
