import { Inject, Injectable } from '@nestjs/common';
import type { BaseMessage } from '@langchain/core/messages';
import type { Principal } from '@riser/auth';
import { ApprovalStore, RunStore, ThreadStore, type ThreadRecord } from '@riser/persistence';
import { ThreadAccess } from './access.js';
import { DEFAULT_GRAPH, GraphRegistry } from './graphs/graph-registry.js';
import { toThreadMessage, type ThreadMessageView } from './message-format.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunError, RunErrorCode } from './run-error.js';
import type { InterruptInfo } from './run-event.js';

export interface ThreadView {
  thread_id: string;
  status: string;
  messages: ThreadMessageView[];
  interrupts: InterruptInfo[];
  /** Pending approvals: each interrupt waiting for a decision, with who asked and when. */
  approvals: { interrupt_id: string; run_id: string; value: unknown; requested_by: string; created_at: string }[];
  created_at: string;
  updated_at: string;
}

/** Threads as their readers see them: the record, and the conversation from the checkpoint. */
@Injectable()
export class ThreadService {
  readonly access: ThreadAccess;

  constructor(
    @Inject(RUN_CORE_OPTIONS) options: RunCoreOptions,
    private readonly threads: ThreadStore,
    private readonly runs: RunStore,
    private readonly graphs: GraphRegistry,
    private readonly approvals: ApprovalStore,
  ) {
    this.access = new ThreadAccess(options.approverRole);
  }

  /** The thread, if this principal may read it; `thread_not_found` otherwise, never 403. */
  async readable(principal: Principal, threadId: string): Promise<ThreadRecord> {
    const thread = await this.threads.get(threadId);
    if (!thread || !this.access.canRead(principal, thread)) {
      throw new RunError(RunErrorCode.threadNotFound, `thread ${threadId} not found`);
    }
    return thread;
  }

  async view(principal: Principal, threadId: string): Promise<ThreadView> {
    const thread = await this.readable(principal, threadId);
    const [state, pending] = await Promise.all([this.state(threadId), this.approvals.pending(threadId)]);
    const messages = (state?.values?.messages ?? []) as BaseMessage[];
    return {
      thread_id: thread.threadId,
      status: thread.status,
      messages: messages.map(toThreadMessage),
      interrupts: pendingInterrupts(state?.tasks ?? []),
      approvals: pending.map((a) => ({
        interrupt_id: a.interruptId,
        run_id: a.runId,
        value: a.value,
        requested_by: a.requestedBy,
        created_at: a.createdAt.toISOString(),
      })),
      created_at: thread.createdAt.toISOString(),
      updated_at: thread.updatedAt.toISOString(),
    };
  }

  run(runId: string) {
    return this.runs.get(runId);
  }

  latestRun(threadId: string) {
    return this.runs.latestForThread(threadId);
  }

  /** The thread's latest checkpointed state, read through the graph that last ran on it. */
  async state(threadId: string) {
    const latest = await this.runs.latestForThread(threadId);
    if (!latest) return undefined;
    const assistantId = this.graphs.has(latest.assistantId) ? latest.assistantId : DEFAULT_GRAPH;
    const config = { configurable: { thread_id: threadId } };
    const graph = await this.graphs.get(assistantId, config);
    return graph.getState(config);
  }
}

function pendingInterrupts(tasks: readonly { interrupts?: readonly { id?: string; value?: unknown }[] }[]): InterruptInfo[] {
  const found: InterruptInfo[] = [];
  for (const task of tasks) {
    for (const item of task.interrupts ?? []) {
      if (item.id) found.push({ id: item.id, value: item.value });
    }
  }
  return found;
}
