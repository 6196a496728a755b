import { Inject, Injectable } from '@nestjs/common';
import type { BaseMessage } from '@langchain/core/messages';
import type { StateSnapshot } from '@langchain/langgraph';
import type { Principal } from '@riser/auth';
import { ApprovalStore, CheckpointStore, Database, RunStore, ThreadStore, type ApprovalRecord, type RunStatus, type ThreadFilter, type ThreadRecord } from '@riser/persistence';
import { ThreadAccess } from './access.js';
import { decisionOf } from './run-core.events.js';
import { ThreadCheckpoints } from './thread-checkpoints.js';
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
  /** The approvals already decided (or cancelled), oldest first: who asked, who decided what, when, with what comment. */
  decided_approvals: DecidedApprovalView[];
  /** The thread's newest run: `attempt` above 1 when another replica took it over. */
  latest_run: { run_id: string; status: RunStatus; attempt: number } | null;
  created_at: string;
  updated_at: string;
}

export interface DecidedApprovalView {
  interrupt_id: string;
  run_id: string;
  value: unknown;
  requested_by: string;
  created_at: string;
  /** `approve`, `reject`, `edit`, or `cancelled` (a new message went past it). */
  decision: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
  /** For `edit`: the arguments the reviewer sent. */
  edited_value?: unknown;
  resume_run_id: string | null;
}

/**
 * Threads as their readers see them: the record, and the conversation from the checkpoint,
 * read through the graph that runs on the thread.
 */
@Injectable()
export class ThreadService {
  readonly access: ThreadAccess;

  constructor(
    @Inject(RUN_CORE_OPTIONS) options: RunCoreOptions,
    private readonly db: Database,
    private readonly threads: ThreadStore,
    private readonly runStore: RunStore,
    private readonly approvals: ApprovalStore,
    private readonly checkpoints: ThreadCheckpoints,
    private readonly checkpointRows: CheckpointStore,
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

  /** The thread, if this principal owns it (may write to it). */
  async writable(principal: Principal, threadId: string): Promise<ThreadRecord> {
    const thread = await this.readable(principal, threadId);
    if (!this.access.canWrite(principal, thread)) throw new RunError(RunErrorCode.forbidden, 'only the thread owner may change it');
    return thread;
  }

  /**
   * Creates a thread for the principal. An existing id answers `thread_exists` (409), or —
   * with `ifExists: "do_nothing"` — the existing thread, when it is the principal's.
   */
  async create(principal: Principal, threadId: string, metadata: Record<string, unknown>, ifExists: 'raise' | 'do_nothing'): Promise<ThreadRecord> {
    const { thread, created } = await this.db.transaction((tx) =>
      this.threads.ensure(tx, threadId, { sub: principal.sub, tenant: principal.tenant }, metadata),
    );
    if (created) return thread;
    if (ifExists === 'do_nothing' && this.access.isOwner(principal, thread)) return thread;
    throw new RunError(RunErrorCode.threadExists, `thread ${threadId} already exists`);
  }

  /**
   * Applies supersteps to a thread of the principal's (the Platform API's `POST /threads`
   * with `supersteps`): each superstep's updates as if the nodes `asNode` had returned them.
   * An update the graph cannot take is a 422 naming `supersteps`.
   */
  async applySupersteps(
    principal: Principal,
    threadId: string,
    supersteps: { updates: { values?: unknown; command?: unknown; asNode?: string }[] }[],
  ): Promise<void> {
    const thread = await this.writable(principal, threadId);
    try {
      await this.checkpoints.bulkUpdate(thread, supersteps);
    } catch (err) {
      const error = err as Error;
      if (error instanceof RunError) throw error;
      throw new RunError(RunErrorCode.invalidRequest, `supersteps: ${error.name}: ${String(error.message).slice(0, 300)}`, { field: 'supersteps' });
    }
  }

  /**
   * A new thread of the principal's with the metadata and every checkpoint of one it can
   * read (the Platform API's copy): same history, its own from now on. A busy thread is
   * copied as its last checkpoint has it.
   */
  async copy(principal: Principal, threadId: string, newThreadId: string): Promise<ThreadRecord> {
    const source = await this.readable(principal, threadId);
    return this.db.transaction(async (tx) => {
      const { thread, created } = await this.threads.ensure(tx, newThreadId, { sub: principal.sub, tenant: principal.tenant }, { ...source.metadata, thread_id: newThreadId });
      if (!created) throw new RunError(RunErrorCode.threadExists, `thread ${newThreadId} already exists`);
      await this.checkpointRows.copyThread(source.threadId, newThreadId, tx);
      return thread;
    });
  }

  search(principal: Principal, filter: ThreadFilter): Promise<ThreadRecord[]> {
    return this.threads.search({ sub: principal.sub, tenant: principal.tenant }, filter);
  }

  async patch(principal: Principal, threadId: string, metadata: Record<string, unknown>): Promise<ThreadRecord> {
    await this.writable(principal, threadId);
    return (await this.threads.mergeMetadata(threadId, metadata))!;
  }

  /** Deletes the thread, its runs, approvals and checkpoints. A busy thread cannot be deleted. */
  async delete(principal: Principal, threadId: string): Promise<void> {
    const thread = await this.writable(principal, threadId);
    if (thread.status === 'busy') throw new RunError(RunErrorCode.threadBusy, `thread ${threadId} has a run in progress`);
    await this.threads.delete(threadId);
    await this.checkpoints.forget(threadId);
  }

  async view(principal: Principal, threadId: string): Promise<ThreadView> {
    const thread = await this.readable(principal, threadId);
    const [state, all, latest] = await Promise.all([this.state(thread), this.approvals.list(threadId), this.runStore.latestForThread(threadId)]);
    const pending = all.filter((a) => a.status === 'pending');
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
      decided_approvals: all.filter((a) => a.status !== 'pending').map(decidedView),
      latest_run: latest ? { run_id: latest.runId, status: latest.status, attempt: latest.attempt } : null,
      created_at: thread.createdAt.toISOString(),
      updated_at: thread.updatedAt.toISOString(),
    };
  }

  run(runId: string) {
    return this.runStore.get(runId);
  }

  runs(threadId: string, filter: { limit: number; offset: number; status?: RunStatus[] }) {
    return this.runStore.listForThread(threadId, filter);
  }

  deleteRun(runId: string) {
    return this.runStore.deleteEnded(runId);
  }

  latestRun(threadId: string) {
    return this.runStore.latestForThread(threadId);
  }

  /** The thread's latest checkpointed state (undefined before its first checkpoint). */
  state(thread: ThreadRecord, checkpoint: Record<string, unknown> = {}, subgraphs = false): Promise<StateSnapshot | undefined> {
    return this.checkpoints.state(thread, checkpoint, subgraphs);
  }

  /** Past states of the thread, newest first (LangGraph's state history). */
  history(
    thread: ThreadRecord,
    options: { limit: number; before?: string; metadata?: Record<string, unknown>; checkpoint?: Record<string, unknown> },
  ): Promise<StateSnapshot[]> {
    return this.checkpoints.history(thread, options);
  }

  /** Writes values into the thread's state as if `asNode` had returned them; not while a run is active. */
  async updateState(
    principal: Principal,
    threadId: string,
    values: unknown,
    options: { asNode?: string; checkpoint?: Record<string, unknown> } = {},
  ): Promise<Record<string, unknown>> {
    const thread = await this.writable(principal, threadId);
    if (thread.status === 'busy') throw new RunError(RunErrorCode.threadBusy, `thread ${threadId} has a run in progress`);
    return this.checkpoints.update(thread, values, options);
  }
}

function decidedView(a: ApprovalRecord): DecidedApprovalView {
  // A decision from the simple protocol or the socket is `{decision, value, comment, decided_by}`;
  // a Platform API resume is whatever value the client sent.
  const payload = (a.decision !== null && typeof a.decision === 'object' ? a.decision : {}) as { value?: unknown; comment?: unknown };
  return {
    interrupt_id: a.interruptId,
    run_id: a.runId,
    value: a.value,
    requested_by: a.requestedBy,
    created_at: a.createdAt.toISOString(),
    decision: decisionOf(a),
    decided_by: a.decidedBy,
    decided_at: a.decidedAt?.toISOString() ?? null,
    comment: typeof payload.comment === 'string' ? payload.comment : null,
    ...(a.status === 'edited' && { edited_value: payload.value }),
    resume_run_id: a.resumeRunId,
  };
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
