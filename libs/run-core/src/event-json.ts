import type { RunEventInput } from './run-event.js';

/**
 * A run event as JSON, the form it travels in between replicas (without its seq). LangChain
 * objects in payloads (messages in `values`, `updates`…) go as their dict (`{...data, type}`,
 * what `toDict()` gives), not as the `{lc, type: "constructor"}` form their `toJSON()` gives:
 * a reader on another replica then gets exactly what one on the executing replica gets.
 * BigInts become strings and cycles `[Circular]`, so one odd payload cannot stop a run's log.
 */
export function eventJson(event: RunEventInput): string {
  return plainJson({ event: event.event, data: event.data, ...(event.ns && { ns: event.ns }) });
}

/**
 * Any value as JSON the same way: LangChain objects as their dicts, BigInts as strings, cycles
 * as `[Circular]` (the second pass runs only when the first fails). The Platform API's
 * payloads are written with it too.
 */
export function plainJson(value: unknown): string {
  try {
    return JSON.stringify(value ?? null, asDict);
  } catch {
    const path: unknown[] = [];
    return JSON.stringify(value ?? null, function (this: unknown, key: string, replaced: unknown) {
      // The replacer runs depth first: drop the ancestors already left.
      while (path.length && path[path.length - 1] !== this) path.pop();
      const out = asDict.call(this as Record<string, unknown>, key, replaced);
      if (typeof out === 'bigint') return out.toString();
      if (out && typeof out === 'object') {
        if (path.includes(out)) return '[Circular]';
        path.push(out);
      }
      return out;
    });
  }
}

function asDict(this: Record<string, unknown>, key: string, replaced: unknown): unknown {
  const raw = this[key] as { toDict?: () => { type: string; data: Record<string, unknown> } } | undefined;
  if (raw && typeof raw === 'object' && typeof raw.toDict === 'function') {
    const { type, data } = raw.toDict();
    return { ...data, type };
  }
  return replaced;
}
