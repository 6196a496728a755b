import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import type { Span } from '@opentelemetry/api';
import type { RunScope } from '@riser/run-core';

/** What a log line is written for: a request (or socket event), and the run it serves. */
export interface LogScope {
  reqId: string;
  /** The authenticated request, read lazily: the guard sets `user` after the scope opens. */
  req?: { user?: { tenant?: string; sub?: string } };
  tenant?: string;
  run_id?: string;
  thread_id?: string;
  /**
   * The span the work belongs to, when tracing is on (the request's, then the run's). Traces
   * ride on this one scope rather than OpenTelemetry's own context manager: a second
   * AsyncLocalStorage costs every promise of the token path (measured: bench/README.md).
   */
  span?: Span;
}

/**
 * The scope of the async work at hand (for logs, and traces). Opened per HTTP request (src/logging/request-scope.ts)
 * and per socket event; a run started by a request keeps its request's scope, and each
 * attempt adds its own ids (RunCoreEvents.runWrappers), so every line of a run names both.
 */
export const logScope = {
  getStore(): LogScope | undefined {
    return (storage().getStore() as Carrier | undefined)?.[CONTEXT_VARIABLES]?.[SCOPE];
  },
  run<R>(scope: LogScope, fn: () => R): R {
    const outer = storage().getStore() as Carrier | undefined;
    const vars = { ...outer?.[CONTEXT_VARIABLES], [SCOPE]: scope };
    // Keep whatever LangChain keeps there (a RunTree and its config), with the scope added.
    const store = outer ? Object.assign(Object.create(Object.getPrototypeOf(outer) as object) as Carrier, outer) : ({} as Carrier);
    store[CONTEXT_VARIABLES] = vars;
    return storage().run(store, fn);
  },
};

/*
 * Why not an AsyncLocalStorage of Riser's own: LangChain already keeps one (every graph
 * step runs in it), and on Node 20 each enabled AsyncLocalStorage costs every promise of the
 * process a property and every await a hook call. Measured: a second one made the
 * 100,000-token run's peak RSS ~30 MB larger (process-lifecycle e2e) and awaits ~35 % dearer.
 * So the scope rides on LangChain's storage as one of its context variables (the slot
 * `@langchain/core/context`'s setContextVariable uses), which LangChain copies into every
 * runnable it enters: lines logged inside graph nodes keep the run's ids too.
 */
const CONTEXT_VARIABLES = Symbol.for('lc:context_variables');
const SCOPE = 'riser.log_scope';
type Carrier = { [CONTEXT_VARIABLES]?: Record<string, unknown> & { [SCOPE]?: LogScope } };

// The storage LangChain and LangGraph share (first one to initialise it wins; both use this).
AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
const storage = () => AsyncLocalStorageProviderSingleton.getInstance();

/** The carrier key under which a run keeps the id of the request that admitted it. */
export const REQUEST_ID_KEY = 'x-request-id';

/** An attempt's work under a scope that adds the run's ids to the request's (if any). */
export function runLogScope<T>(run: RunScope, fn: () => Promise<T>): Promise<T> {
  // The admitting request's id travels with the run (RunRequest.carrier), so an attempt
  // claimed from the queue or taken over elsewhere logs it too; an older run has none.
  const outer = logScope.getStore();
  const admitted = run.carrier?.[REQUEST_ID_KEY] ?? (outer && !outer.run_id ? outer.reqId : undefined);
  return logScope.run({ reqId: admitted ?? `run-${run.runId}`, tenant: run.tenant, run_id: run.runId, thread_id: run.threadId }, fn);
}

/** Names the run a request streams (rejoins, decisions), so its last lines carry it too. */
export function tagRequestWithRun(runId: string, threadId: string): void {
  const scope = logScope.getStore();
  if (!scope || scope.run_id) return;
  scope.run_id = runId;
  scope.thread_id = threadId;
}

/** The span of the work at hand, when tracing is on. */
export function currentSpan(): Span | undefined {
  return logScope.getStore()?.span;
}

/** The fields of the current scope for a log line (pino's mixin): ids only, never a token. */
export function scopeFields(skipReqId: boolean): Record<string, unknown> {
  const scope = logScope.getStore();
  const fields: Record<string, unknown> = {};
  if (scope) {
    const tenant = scope.tenant ?? scope.req?.user?.tenant;
    if (!skipReqId) fields.reqId = scope.reqId;
    if (tenant) fields.tenant = tenant;
    if (scope.run_id) fields.run_id = scope.run_id;
    if (scope.thread_id) fields.thread_id = scope.thread_id;
    if (scope.span) fields.trace_id = scope.span.spanContext().traceId;
  }
  return fields;
}
