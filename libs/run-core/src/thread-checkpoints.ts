import { Injectable } from '@nestjs/common';
import { Command, type StateSnapshot } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { RunStore, type ThreadRecord } from '@riser/persistence';
import { DEFAULT_GRAPH, GraphRegistry, type CompiledGraph } from './graphs/graph-registry.js';
import { threadConfigOf } from './run-config.js';
import { asClientErrors } from './graph-client-errors.js';

/**
 * A thread's state as LangGraph keeps it in its checkpoints, read and written through the
 * graph that runs on the thread. Access is checked by the caller (ThreadService).
 */
@Injectable()
export class ThreadCheckpoints {
  constructor(
    private readonly graphs: GraphRegistry,
    private readonly runs: RunStore,
    private readonly checkpointer: PostgresSaver,
  ) {}

  /** The graph whose state schema applies to the thread: its latest run's, else its metadata's. */
  async graphFor(thread: ThreadRecord): Promise<CompiledGraph> {
    const latest = await this.runs.latestForThread(thread.threadId);
    const fromMetadata = typeof thread.metadata.graph_id === 'string' ? thread.metadata.graph_id : undefined;
    const candidates = [latest?.assistantId, fromMetadata, DEFAULT_GRAPH];
    const graphId = candidates.find((id) => id && this.graphs.has(id))!;
    return this.graphs.get(graphId, threadConfigOf(thread.threadId, graphId, this.graphs.defaults(graphId)));
  }

  /** The thread's latest checkpointed state (undefined before its first checkpoint). */
  async state(thread: ThreadRecord, checkpoint: Record<string, unknown> = {}, subgraphs = false): Promise<StateSnapshot | undefined> {
    const graph = await this.graphFor(thread);
    const config = { configurable: { thread_id: thread.threadId, ...checkpoint } };
    const snapshot = await asClientErrors(() => graph.getState(config, { subgraphs }));
    return snapshot.config?.configurable?.checkpoint_id ? snapshot : undefined;
  }

  /** Past states of the thread, newest first (LangGraph's state history). */
  async history(
    thread: ThreadRecord,
    options: { limit: number; before?: string; metadata?: Record<string, unknown>; checkpoint?: Record<string, unknown> },
  ): Promise<StateSnapshot[]> {
    const graph = await this.graphFor(thread);
    const config = { configurable: { thread_id: thread.threadId, checkpoint_ns: '', ...options.checkpoint } };
    const states: StateSnapshot[] = [];
    const before = options.before ? { configurable: { thread_id: thread.threadId, checkpoint_id: options.before } } : undefined;
    await asClientErrors(async () => {
      for await (const state of graph.getStateHistory(config, { limit: options.limit, before, filter: options.metadata })) states.push(state);
    });
    return states;
  }

  /** Writes values into the state as if `asNode` had returned them; answers the new checkpoint's config. */
  async update(thread: ThreadRecord, values: unknown, options: { asNode?: string; checkpoint?: Record<string, unknown> }): Promise<Record<string, unknown>> {
    const graph = await this.graphFor(thread);
    const config = await asClientErrors(() => graph.updateState({ configurable: { thread_id: thread.threadId, ...options.checkpoint } }, values, options.asNode));
    return (config.configurable ?? {}) as Record<string, unknown>;
  }

  /**
   * Applies supersteps to the thread's state, each a list of updates applied together as
   * if the nodes named by `asNode` had returned them (LangGraph's bulkUpdateState); a
   * `command` update is applied as a Command.
   */
  async bulkUpdate(thread: ThreadRecord, supersteps: { updates: { values?: unknown; command?: unknown; asNode?: string }[] }[]): Promise<Record<string, unknown>> {
    const graph = await this.graphFor(thread);
    const config = await graph.bulkUpdateState(
      { configurable: { thread_id: thread.threadId, checkpoint_ns: '' } },
      supersteps.map((step) => ({
        updates: step.updates.map((u) => ({
          values: u.command != null ? new Command(u.command as ConstructorParameters<typeof Command>[0]) : u.values,
          asNode: u.asNode,
        })),
      })),
    );
    return (config.configurable ?? {}) as Record<string, unknown>;
  }

  /** Deletes every checkpoint of the thread. */
  forget(threadId: string): Promise<void> {
    return this.checkpointer.deleteThread(threadId);
  }
}
