import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import {
  ApprovalService,
  GRAPH_STREAM_MODES,
  GraphRegistry,
  RunError,
  RunErrorCode,
  RunService,
  ThreadService,
  type RunHandle,
  type GraphStreamMode,
  type RunRequest,
} from '@riser/run-core';
import type { RunCreate } from './platform.schemas.js';
import { requestedModes } from './platform-protocol.js';
import { assistantIdOf, platformError } from './platform-shapes.js';
import { PlatformAssistants, withAssistantDefaults } from './platform-assistants.js';

const RECORDED = new Set<string>(GRAPH_STREAM_MODES);

/**
 * The Platform API's runs on top of the one run core: its body becomes a RunRequest,
 * `assistant_id` may be a graph id or the assistant's UUID, `if_not_exists` decides about
 * unknown threads, and stateless runs get a temporary thread, deleted when they end.
 */
@Injectable()
export class PlatformRuns {
  constructor(
    private readonly runs: RunService,
    private readonly threads: ThreadService,
    private readonly graphs: GraphRegistry,
    private readonly approvals: ApprovalService,
    private readonly assistants: PlatformAssistants,
  ) {}

  /** The graph an `assistant_id` names (a graph id, or its deterministic UUID). */
  graphId(assistantId: string): string {
    if (this.graphs.has(assistantId)) return assistantId;
    const graph = this.graphs.list().find((g) => assistantIdOf(g.graphId) === assistantId);
    if (!graph) throw new RunError(RunErrorCode.assistantNotFound, `no assistant "${assistantId}"`);
    return graph.graphId;
  }

  async start(principal: Principal, threadId: string | undefined, body: RunCreate): Promise<{ run: RunHandle; modes: Set<string> }> {
    // A graph id, a system assistant's UUID or one of the tenant's assistants (its config and context under the run's).
    const assistant = await this.assistants.resolve(principal, body.assistant_id);
    body = withAssistantDefaults(assistant, body);
    const graphId = assistant.graphId;
    const modes = requestedModes(body.stream_mode);
    if (threadId && body.if_not_exists !== 'create') await this.threads.readable(principal, threadId);
    const temporary = !threadId && (body.on_completion ?? 'delete') === 'delete';
    const recorded = [...modes].filter((m) => RECORDED.has(m)) as GraphStreamMode[];
    // Legacy `messages` mode completes messages from `values` chunks.
    if (modes.has('messages') && !recorded.includes('values')) recorded.push('values');
    const configurable = {
      ...body.config?.configurable,
      ...(body.checkpoint ?? {}),
    };
    delete configurable.thread_id;
    const request: RunRequest = {
      threadId: threadId ?? randomUUID(),
      assistantId: graphId,
      input: body.input ?? undefined,
      command: body.command ?? undefined,
      // Text at least, so the run can be watched over the other protocols too.
      messages: modes.has('messages') || modes.has('messages-tuple') ? 'full' : 'text',
      streamModes: recorded,
      subgraphs: body.stream_subgraphs ?? false,
      onDisconnect: body.on_disconnect,
      multitaskStrategy: body.multitask_strategy,
      metadata: body.metadata ?? undefined,
      threadMetadata: { graph_id: graphId, assistant_id: assistant.assistantId, ...(temporary && { temporary: true }) },
      config: { ...(body.config?.tags && { tags: body.config.tags }), recursion_limit: body.config?.recursion_limit, configurable },
      context: body.context ?? undefined,
      interruptBefore: body.interrupt_before,
      interruptAfter: body.interrupt_after,
      checkpointId: body.checkpoint_id ?? body.checkpoint?.checkpoint_id,
      afterSeconds: body.after_seconds || undefined,
      clientModes: [...modes],
      protocol: 'platform',
    };
    // A resume answers the thread's pending approvals (exactly once, audited) and may come
    // from an approver of the tenant; new input only from the owner.
    const isResume = body.command?.resume !== undefined && body.input == null && !!threadId;
    const run = isResume
      ? await this.approvals.resume(principal, { ...request, threadId: threadId! })
      : await this.runs.start(principal, request);
    if (temporary) void run.finished.then(() => this.threads.delete(principal, run.threadId).catch(() => undefined));
    return { run, modes };
  }

  /** The thread's values once the run has ended, or `{__error__}` when it failed (what `runs.wait` answers). */
  async result(principal: Principal, run: RunHandle): Promise<unknown> {
    await run.finished;
    const record = await this.threads.run(run.runId);
    if (record?.status === 'error' || record?.status === 'timeout') {
      return { __error__: platformError(record.errorCode ?? 'error', record.errorMessage ?? 'the run failed') };
    }
    const thread = await this.threads.readable(principal, run.threadId).catch(() => undefined);
    if (!thread) return null;
    return (await this.threads.state(thread))?.values ?? null;
  }
}
