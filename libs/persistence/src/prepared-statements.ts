import { createHash } from 'node:crypto';
import pg from 'pg';

/** Distinct statement texts given a name; past this, statements go unnamed as before. */
const MAX_NAMED = 256;
const names = new Map<string, string>();

/** The name a parameterised statement is prepared under: the same text, the same name, on every connection. */
function nameFor(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `riser_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A pg client that prepares each parameterised statement once per connection (a named
 * statement) instead of sending it to be parsed and planned on every call. Riser's queries
 * are a few fixed texts run for every run: unnamed, Postgres parsed and planned each again,
 * ~2 ms of its CPU per run.
 */
export class PreparingClient extends pg.Client {
  override query(config: unknown, values?: unknown, callback?: unknown): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = nameFor(config);
      if (name) return (super.query as (c: unknown, cb?: unknown) => unknown)({ name, text: config, values }, callback);
    }
    return (super.query as (c: unknown, v?: unknown, cb?: unknown) => unknown)(config, values, callback);
  }
}
