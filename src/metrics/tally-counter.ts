import { Counter, type Registry } from 'prom-client';

/**
 * A counter for the per-frame path: `add()` bumps a plain number, and the Prometheus
 * counter is brought up to date when scraped. prom-client's `inc(labels)` hashes its labels
 * on every call, a cost paid per token otherwise.
 */
export class TallyCounter<V extends string> {
  private readonly counts = new Map<V, number>();
  private readonly reported = new Map<V, number>();

  constructor(private readonly owner: { registry: Registry; enabled: boolean }, name: string, help: string, label: string, values: readonly V[]) {
    for (const v of values) {
      this.counts.set(v, 0);
      this.reported.set(v, 0);
    }
    const counts = this.counts;
    const reported = this.reported;
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [owner.registry],
      collect() {
        for (const [value, count] of counts) {
          const delta = count - reported.get(value)!;
          // Every label value is exported from the first scrape, at 0 until it moves.
          this.inc({ [label]: value }, delta);
          reported.set(value, count);
        }
      },
    });
  }

  add(value: V, n = 1): void {
    if (!this.owner.enabled) return;
    this.counts.set(value, (this.counts.get(value) ?? 0) + n);
  }
}
