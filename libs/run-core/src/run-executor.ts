import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { Command, getConfig, type StreamMode } from '@langchain/langgraph';
import { ItemStore, type RunStatus } from '@riser/persistence';
import type { StopReason } from './cluster/run-signals.js';
import type { RunExecution } from './run-execution.js';
import type { runConfigOf } from './run-config.js';

type RunConfig = ReturnType<typeof runConfigOf>;
import type { CompiledGraph } from './graphs/graph-registry.js';
import { RunFailureCode } from './run-error.js';
import type { InterruptInfo, MessageEventData } from './run-event.js';
import { RunTokenHandler } from './token-handler.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { batchStoreOperationsOnDemand } from './store-batching.js';

// Every run gets a store (see store-batching.ts): without its per-run polling loop.
batchStoreOperationsOnDemand();

export interface RunOutcome {
  status: Exclude<RunStatus, 'pending' | 'running'>;
  error?: { code: string; message: string; name?: string };
  interrupts: InterruptInfo[];
}

export const STOPPED: Record<StopReason, Pick<RunOutcome, 'status' | 'error'>> = {
  cancelled: { status: 'cancelled', error: { code: RunFailureCode.cancelled, message: 'the run was cancelled' } },
  disconnected: { status: 'cancelled', error: { code: RunFailureCode.cancelled, message: 'the run was cancelled: its last client left' } },
  // Multitask: a newer run took the thread. `interrupted` keeps what the run did; `rollback` discards it.
  interrupted: { status: 'interrupted', error: { code: RunFailureCode.interrupted, message: 'the run was interrupted by a newer run on its thread' } },
  rollback: { status: 'cancelled', error: { code: RunFailureCode.rolledBack, message: 'the run was rolled back by a newer run on its thread' } },
  timeout: { status: 'timeout', error: { code: RunFailureCode.timeout, message: 'the run timed out' } },
  shutdown: { status: 'error', error: { code: RunFailureCode.shutdown, message: 'the server shut down before the run finished' } },
};

/**
 * Executes one run's graph, detached from any connection: `graph.stream()` for the graph's
 * own modes (always `updates`, to see interrupts), or `graph.streamEvents()` when the run
 * asks for LangChain's `events` too, and Riser's token handler for messages, all appended to
 * the run's log in the order they happen.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger('RunExecutor');

  constructor(
    private readonly events: RunCoreEvents,
    private readonly items: ItemStore,
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
  ) {}

  async execute(run: RunExecution, graph: CompiledGraph, config: RunConfig): Promise<RunOutcome> {
    const { request } = run;
    const recorded = new Set<string>(request.streamModes ?? []);
    // Custom events are written straight into the log by a writer of Riser's own (as tokens
    // are), not read back from the graph's stream, so they keep their order with tokens.
    const modes = [...new Set<string>(['updates', ...(request.streamModes ?? [])])].filter((m) => m !== 'custom' && m !== 'events') as StreamMode[];
    const subgraphs = request.subgraphs ?? false;
    const interrupts: InterruptInfo[] = [];
    // The graph paused: at interrupt() (with values), or at a breakpoint (interrupt_before /
    // interrupt_after), which LangGraph reports as an empty `__interrupt__` list.
    let paused = false;
    const callbacks =
      request.messages === 'none'
        ? []
        : [new RunTokenHandler(this.messageSink(run), { subgraphs, mode: request.messages === 'full' ? 'full' : 'text' })];
    // A takeover resumes from the thread's latest checkpoint: the input was applied already.
    const input = (
      run.resumeFromCheckpoint ? null : request.command ? new Command(request.command as ConstructorParameters<typeof Command>[0]) : request.input
    ) as never;
    const options = {
      ...config,
      recursionLimit: config.recursionLimit ?? 25,
      callbacks: [...callbacks, ...(this.events.callbacksFor(run.runId) as never[])],
      ...(recorded.has('custom') && { writer: this.customWriter(run, subgraphs) }),
      streamMode: modes,
      subgraphs,
      signal: run.signal,
      // Long-term memory (`config.store`, `getStore()`): the run's tenant's store, never another's.
      store: this.items.forTenant(run.owner.tenant),
      interruptBefore: request.interruptBefore as never,
      interruptAfter: request.interruptAfter as never,
    };
    try {
      // `events` costs a callback event per step of every runnable: only runs that ask pay for it.
      const chunks = recorded.has('events')
        ? recordingEvents(graph.streamEvents(input, { ...options, version: 'v2', runId: run.runId }), run)
        : ((await graph.stream(input, options)) as AsyncIterable<unknown[]>);
      for await (const chunk of chunks) {
        const [ns, mode, payload] = (subgraphs ? chunk : [[], ...chunk]) as [string[], string, unknown];
        if (mode === 'updates' && collectInterrupts(payload, ns, interrupts)) paused = true;
        if (recorded.has(mode)) {
          run.append({ event: 'stream', data: { mode, payload }, ...(ns.length && { ns }) });
        }
      }
      return { status: paused ? 'interrupted' : 'success', interrupts };
    } catch (err) {
      if (run.letGo) return { status: 'error', interrupts: [] };
      if (run.stopReason) return { ...STOPPED[run.stopReason], interrupts: [] };
      this.logger.warn({ msg: 'run failed', run_id: run.runId, thread_id: run.threadId, err: describe(err) });
      return { status: 'error', error: graphFailure(err, this.options.graphErrorDetail ?? 'message'), interrupts: [] };
    }
  }

  private customWriter(run: RunExecution, subgraphs: boolean): (chunk: unknown) => void {
    return (payload) => {
      // As LangGraph's own writer: the namespace of the task that wrote it.
      const ns = ((getConfig()?.configurable?.checkpoint_ns as string | undefined) ?? '').split('|').slice(0, -1);
      if (ns.length && !subgraphs) return;
      run.append(ns.length ? { event: 'stream', data: { mode: 'custom', payload }, ns } : { event: 'stream', data: { mode: 'custom', payload } });
    };
  }

  private messageSink(run: RunExecution): (data: MessageEventData, ns: string[]) => void {
    let first = true;
    return (data, ns) => {
      if (first && data.text) {
        first = false;
        this.events.lifecycle$.next({ kind: 'first_token', runId: run.runId, ms: Date.now() - run.startedAt });
      }
      // `seq: 0` holds the slot the log numbers: the event keeps its fields in the object itself
      // (set later, it would cost each token's event a property array: ~4.5 MB per 100k tokens).
      run.append(ns.length ? { seq: 0, event: 'message', data, ns } : { seq: 0, event: 'message', data });
    };
  }
}

/**
 * `stream_mode: "events"`, as the official server does it: every event of `streamEvents`
 * (v2) is recorded as an `events` event, except the root run's `on_chain_stream` events,
 * which carry the graph's own stream chunks and are passed on as `graph.stream()` yields them.
 */
async function* recordingEvents(events: AsyncIterable<StreamEvent>, run: RunExecution): AsyncIterable<unknown[]> {
  for await (const event of events) {
    if (event.tags?.includes('langsmith:hidden')) continue;
    if (event.event === 'on_chain_stream' && event.run_id === run.runId) {
      yield withoutCallbacks(event.data.chunk as unknown[]);
      continue;
    }
    run.append({ event: 'stream', data: { mode: 'events', payload: event } });
  }
}

/**
 * Under `streamEvents`, the configs inside `checkpoints` and `debug` chunks carry the
 * callback handlers (the event stream itself): not data, and not serialisable.
 */
function withoutCallbacks(chunk: unknown[]): unknown[] {
  const mode = chunk[chunk.length - 2];
  const payload = chunk[chunk.length - 1];
  if ((mode !== 'checkpoints' && mode !== 'debug') || !payload || typeof payload !== 'object') return chunk;
  const clean = (holder: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...holder };
    for (const key of ['config', 'parentConfig']) {
      const value = out[key] as { callbacks?: unknown } | undefined;
      if (value && typeof value === 'object' && 'callbacks' in value) {
        const { callbacks: _callbacks, ...rest } = value;
        out[key] = rest;
      }
    }
    return out;
  };
  let cleaned = clean(payload as Record<string, unknown>);
  if (cleaned.payload && typeof cleaned.payload === 'object') cleaned = { ...cleaned, payload: clean(cleaned.payload as Record<string, unknown>) };
  return [...chunk.slice(0, -1), cleaned];
}

/** Adds the update's interrupts to `into`; `true` when the update says the graph paused. */
function collectInterrupts(payload: unknown, ns: string[], into: InterruptInfo[]): boolean {
  const list = (payload as { __interrupt__?: unknown } | null)?.__interrupt__;
  if (!Array.isArray(list)) return false;
  for (const item of list as { id?: string; interrupt_id?: string; value?: unknown; when?: string }[]) {
    const id = item.id ?? item.interrupt_id;
    if (!id || into.some((known) => known.id === id)) continue;
    into.push({ id, value: item.value, ...(item.when && { when: item.when }), ...(ns.length && { ns }) });
  }
  return true;
}

/**
 * What a client is told about a failed graph: as the official server, the exception's class
 * and message (`Name: message`, the class also apart as `name`); every transport redacts
 * credentials from it. With GRAPH_ERROR_DETAIL=class, the class only: a message can quote
 * other data (inputs, rows) no pattern recognises.
 */
function graphFailure(err: unknown, detail: 'message' | 'class'): { code: string; message: string; name: string } {
  const error = err as { name?: unknown; message?: unknown } | null;
  const name = typeof error?.name === 'string' && /^[\w$.]{1,100}$/.test(error.name) ? error.name : 'Error';
  if (detail === 'class') return { code: RunFailureCode.graphError, message: `the graph failed (${name})`, name };
  const message = err instanceof Error || typeof error?.message === 'string' ? String(error?.message) : String(err);
  return { code: RunFailureCode.graphError, message: `${name}: ${message.slice(0, 2000)}`, name };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
