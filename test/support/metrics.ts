/** One Prometheus scrape: series keyed as `name{a="x",b="y"}` with labels sorted by name. */
export class Scrape {
  constructor(
    readonly text: string,
    readonly series: Map<string, number>,
  ) {}

  /** The value of a series, 0 when it is not there (a counter that never moved). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.series.get(seriesKey(name, labels)) ?? 0;
  }

  has(name: string): boolean {
    return [...this.series.keys()].some((key) => key === name || key.startsWith(`${name}{`));
  }

  /** Names of the metrics (HELP lines) in the scrape. */
  get names(): string[] {
    return [...this.text.matchAll(/^# HELP (\S+)/gm)].map((m) => m[1]);
  }

  /** Every label value of every series, to check none is an id. */
  get labelValues(): string[] {
    return [...this.series.keys()].flatMap((key) => [...key.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]));
  }
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}` : name;
}

export async function scrape(metricsUrl: string): Promise<Scrape> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`scrape failed: ${response.status}`);
  const text = await response.text();
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    series.set(seriesKey(match[1], labels), Number(match[3]));
  }
  return new Scrape(text, series);
}
