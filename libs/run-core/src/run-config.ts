import type { RunnableConfig } from '@langchain/core/runnables';
import type { GraphDefaults } from './graphs/graph-registry.js';
import type { RunExecution } from './run-execution.js';

/**
 * The config a run's graph gets — its factory too, when the graph is one — merged as the
 * official server merges it: the graph's defaults (LANGGRAPH_CONFIG, the system assistant's
 * config), then the run's own config; `configurable` key by key, plus the run's ids; the
 * run's metadata as `metadata` (which the checkpointer writes into every checkpoint, so
 * history can be filtered by it); the context, defaults first.
 */
export function runConfigOf(run: RunExecution, defaults: GraphDefaults): RunnableConfig & { context?: Record<string, unknown> } {
  const { request } = run;
  const own = request.config ?? {};
  const base = defaults.config ?? {};
  const configurable = {
    ...base.configurable,
    ...own.configurable,
    run_id: run.runId,
    thread_id: run.threadId,
    graph_id: run.record.assistantId,
    ...(request.checkpointId && !run.resumeFromCheckpoint && { checkpoint_id: request.checkpointId }),
  };
  const metadata = { ...base.metadata, ...(own.metadata as Record<string, unknown> | undefined), ...run.record.metadata, ...request.metadata };
  const tags = [...(base.tags ?? []), ...(own.tags ?? [])];
  const recursionLimit = own.recursion_limit ?? base.recursion_limit;
  const context = defaults.context || request.context ? { ...defaults.context, ...request.context } : undefined;
  return {
    configurable,
    ...(tags.length && { tags: [...new Set(tags)] }),
    ...(Object.keys(metadata).length && { metadata }),
    ...(recursionLimit !== undefined && { recursionLimit }),
    ...(context && { context }),
  };
}

/** The config state reads and writes of a thread go through (its graph's factory gets it too). */
export function threadConfigOf(threadId: string, graphId: string, defaults: GraphDefaults): RunnableConfig {
  return { configurable: { ...defaults.config?.configurable, thread_id: threadId, graph_id: graphId } };
}
