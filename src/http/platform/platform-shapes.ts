import type { StateSnapshot } from '@langchain/langgraph';
import { v5 as uuidv5 } from '@langchain/core/utils/uuid';
import type { RunRecord, ThreadRecord } from '@riser/persistence';
import { plainJson } from '@riser/run-core';
import { redactSecrets } from '../../security/secret-redaction.js';

/** The namespace the official server derives assistant ids from: uuid5(graph_id, it). */
const NAMESPACE_GRAPH = '6ba7b821-9dad-11d1-80b4-00c04fd430c8';

export const assistantIdOf = (graphId: string): string => uuidv5(graphId, NAMESPACE_GRAPH);

/**
 * JSON as the official server writes it: LangChain messages as `{...data, type}` (their
 * `toDict()`), not LangChain's constructor serialisation. What JSON cannot hold — a BigInt,
 * a cycle (a user graph's custom event or a LangChain event may carry either) — is written
 * as a string / `"[Circular]"` instead of failing the stream; only that rare value pays for
 * the second pass.
 */
export const serialize = plainJson;

/** Riser's run statuses in the official vocabulary: a run that paused for a human succeeded; a cancelled one was interrupted. */
export function platformRunStatus(run: Pick<RunRecord, 'status' | 'errorCode'>): string {
  switch (run.status) {
    case 'interrupted':
      return run.errorCode === 'interrupted' ? 'interrupted' : 'success';
    case 'cancelled':
      return 'interrupted';
    default:
      return run.status;
  }
}

/**
 * An error as the official server reports it, `{error, message}`, credentials redacted: for
 * a failed graph, `error` is the exception's class and `message` its message (the run core
 * records them as `Name: message`, code `graph_error`); otherwise Riser's code (`timeout`,
 * `cancelled`, …).
 */
export function platformError(code: string, message: string, name?: string): { error: string; message: string } {
  const className = name ?? (code === 'graph_error' ? /^([\w$.]{1,100}): /.exec(message)?.[1] : undefined);
  if (!className) return { error: code, message: redactSecrets(message) };
  const text = message.startsWith(`${className}: `) ? message.slice(className.length + 2) : message;
  return { error: className, message: redactSecrets(text) };
}

export function toPlatformRun(run: RunRecord) {
  return {
    run_id: run.runId,
    thread_id: run.threadId,
    assistant_id: assistantIdOf(run.assistantId),
    created_at: run.createdAt.toISOString(),
    updated_at: run.updatedAt.toISOString(),
    status: platformRunStatus(run),
    // `attempt`: 2 and more when another replica took the run over and resumed it.
    metadata: { ...run.metadata, attempt: run.attempt },
    multitask_strategy: run.multitaskStrategy,
    kwargs: run.kwargs,
    ...(run.errorCode && { error: platformError(run.errorCode, run.errorMessage ?? 'the run failed') }),
  };
}

interface Checkpoint {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string | null;
  checkpoint_map: Record<string, unknown> | null;
}

function toCheckpoint(config: { configurable?: Record<string, unknown> } | undefined): Checkpoint | null {
  const c = config?.configurable;
  if (!c?.thread_id) return null;
  return {
    thread_id: String(c.thread_id),
    checkpoint_ns: String(c.checkpoint_ns ?? ''),
    checkpoint_id: (c.checkpoint_id as string | undefined) ?? null,
    checkpoint_map: (c.checkpoint_map as Record<string, unknown> | undefined) ?? null,
  };
}

/** A LangGraph StateSnapshot as the SDK's ThreadState. */
export function toThreadState(state: StateSnapshot | undefined, threadId: string): Record<string, unknown> {
  if (!state) {
    return { values: {}, next: [], tasks: [], metadata: null, created_at: null, checkpoint: { thread_id: threadId, checkpoint_ns: '', checkpoint_id: null, checkpoint_map: null }, parent_checkpoint: null };
  }
  return {
    values: state.values,
    next: state.next,
    tasks: state.tasks.map((task) => ({
      id: task.id,
      name: task.name,
      path: task.path,
      error: task.error != null ? String((task.error as Error).message ?? task.error) : null,
      interrupts: task.interrupts,
      checkpoint: task.state && 'configurable' in task.state ? (task.state.configurable ?? null) : null,
      state: task.state && 'values' in task.state ? toThreadState(task.state as StateSnapshot, threadId) : null,
      result: task.result ?? null,
    })),
    metadata: state.metadata ?? null,
    created_at: state.createdAt ?? null,
    checkpoint: toCheckpoint(state.config),
    parent_checkpoint: toCheckpoint(state.parentConfig),
  };
}

/** A thread as the SDK's Thread: the record, with values and interrupts from its latest state. */
export function toPlatformThread(thread: ThreadRecord, state: StateSnapshot | undefined, select?: string[]) {
  const interrupts: Record<string, unknown[]> = {};
  for (const task of state?.tasks ?? []) if (task.interrupts?.length) interrupts[task.id] = [...task.interrupts];
  const full = {
    thread_id: thread.threadId,
    created_at: thread.createdAt.toISOString(),
    updated_at: thread.updatedAt.toISOString(),
    state_updated_at: (state?.createdAt ?? thread.updatedAt.toISOString()) as string,
    metadata: thread.metadata,
    status: thread.status,
    values: state?.values ?? null,
    interrupts,
  };
  if (!select?.length) return full;
  return Object.fromEntries(Object.entries(full).filter(([key]) => select.includes(key)));
}

