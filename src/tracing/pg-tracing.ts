import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import pg from 'pg';
import { currentSpan } from '../logging/log-scope.js';

type Callback = (err: Error | null, result?: unknown) => void;
type Query = (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) => unknown;

const PATCHED = Symbol.for('riser.pg-tracing');

/**
 * A CLIENT span per Postgres query made inside a trace (a request's or a run's: the stores,
 * the checkpointer), with its SQL text (never its values). pg's Client.query is wrapped once
 * per process, as @opentelemetry/instrumentation-pg does, without a module-loader hook (which
 * ES modules would need). Queries outside any trace (lease renewals, sweeps) make no span.
 */
export function tracePostgres(tracerName: string): void {
  const proto = pg.Client.prototype as unknown as { query: Query; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const original = proto.query;
  const tracer = trace.getTracer(tracerName);
  proto.query = function (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) {
    const parent = currentSpan();
    if (!parent || config == null) return original.call(this, config, values, callback);
    const text = typeof config === 'string' ? config : (config as { text?: unknown }).text;
    const span = tracer.startSpan('pg.query', {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        ...(typeof text === 'string' && { 'db.query.text': text.slice(0, 4000) }),
        ...(this.database && { 'db.namespace': this.database }),
      },
    }, trace.setSpan(ROOT_CONTEXT, parent));
    let ended = false;
    const finish = (err?: unknown) => {
      if (ended) return;
      ended = true;
      if (err instanceof Error) {
        span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      }
      span.end();
    };
    const wrap = (cb: Callback): Callback => (err, result) => {
      finish(err);
      cb(err, result);
    };
    let withCallback = true;
    if (typeof values === 'function') values = wrap(values as Callback);
    else if (typeof callback === 'function') callback = wrap(callback as Callback);
    else if (typeof (config as { submit?: unknown }).submit === 'function') endWithSubmittable(config as Submittable, finish, wrap);
    else withCallback = false;
    const result = original.call(this, config, values, callback);
    if (!withCallback && result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(() => finish(), finish);
    return result;
  };
}

interface Submittable {
  callback?: Callback;
  once?: (event: string, fn: (err?: unknown) => void) => void;
}

/** A Query or Cursor object: ends with its callback, or its `end`/`error` events. */
function endWithSubmittable(query: Submittable, finish: (err?: unknown) => void, wrap: (cb: Callback) => Callback): void {
  if (typeof query.callback === 'function') query.callback = wrap(query.callback);
  query.once?.('end', () => finish());
  query.once?.('error', finish);
}
