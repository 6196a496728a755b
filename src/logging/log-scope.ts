import { AsyncLocalStorage } from 'node:async_hooks';
import type { RunScope } from '@riser/run-core';

/** What a log line is written for: a request (or socket event), and the run it serves. */
export interface LogScope {
  reqId: string;
  /** The authenticated request, read lazily: the guard sets `user` after the scope opens. */
  req?: { user?: { tenant?: string; sub?: string } };
  tenant?: string;
  run_id?: string;
  thread_id?: string;
}

/**
 * The scope of the async work at hand. Opened per HTTP request (src/logging/request-scope.ts)
 * and per socket event; a run started by a request keeps its request's scope, and each
 * attempt adds its own ids (RunCoreEvents.runWrappers), so every line of a run names both.
 */
export const logScope = new AsyncLocalStorage<LogScope>();

/** An attempt's work under a scope that adds the run's ids to the request's (if any). */
export function runLogScope<T>(run: RunScope, fn: () => Promise<T>): Promise<T> {
  const outer = logScope.getStore();
  // A run claimed while another run's work was under way (a queued run its end woke up) is
  // not that request's: it gets an id of its own.
  const started = outer && (!outer.run_id || outer.run_id === run.runId) ? outer.reqId : undefined;
  return logScope.run({ reqId: started ?? `run-${run.runId}`, tenant: run.tenant, run_id: run.runId, thread_id: run.threadId }, fn);
}

/** Names the run a request streams (rejoins, decisions), so its last lines carry it too. */
export function tagRequestWithRun(runId: string, threadId: string): void {
  const scope = logScope.getStore();
  if (!scope || scope.run_id) return;
  scope.run_id = runId;
  scope.thread_id = threadId;
}

let traceFields: (() => Record<string, string> | undefined) | undefined;

/** Lets tracing add `trace_id` to every line, when it is on. */
export function setTraceFields(fields: () => Record<string, string> | undefined): void {
  traceFields = fields;
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
  }
  const traced = traceFields?.();
  return traced ? Object.assign(fields, traced) : fields;
}
