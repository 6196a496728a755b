import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import { ThreadAccess } from './access.js';
import { ActiveRun } from './active-run.js';
import { DEFAULT_GRAPH, GraphRegistry } from './graphs/graph-registry.js';
import type { PoolClient, ThreadRecord, ApprovalRecord } from '@riser/persistence';
import { RunAdmission } from './run-admission.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunError, RunErrorCode, RunFailureCode } from './run-error.js';
import { RunExecutor, type RunOutcome } from './run-executor.js';
import { RunRegistry } from './run-registry.js';
import type { RunRequest } from './run-request.js';
import { ThreadService } from './thread.service.js';

/**
 * Starts runs and lets transports watch and stop them. A run belongs to the run core, not
 * to the request that started it: transports subscribe to its log and may go away.
 */
@Injectable()
export class RunService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('RunService');
  private readonly access: ThreadAccess;
  private accepting = true;

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly graphs: GraphRegistry,
    private readonly admission: RunAdmission,
    private readonly executor: RunExecutor,
    private readonly registry: RunRegistry,
    private readonly threads: ThreadService,
    private readonly events: RunCoreEvents,
  ) {
    this.access = new ThreadAccess(options.approverRole);
  }

  /**
   * Admits a run onto its thread (creating the thread for its owner on first use) and
   * executes it detached from the caller. `intent: "decide"` is a resume by someone allowed
   * to decide the thread's interrupts; `within` runs in the admitting transaction.
   */
  async start(
    principal: Principal,
    request: RunRequest,
    options: { intent?: 'write' | 'decide'; within?: (tx: PoolClient, thread: ThreadRecord, runId: string) => Promise<void> } = {},
  ): Promise<ActiveRun> {
    if (!this.accepting) throw new RunError(RunErrorCode.shuttingDown, 'the server is shutting down; retry on another replica');
    const assistantId = request.assistantId ?? DEFAULT_GRAPH;
    if (!this.graphs.has(assistantId)) throw new RunError(RunErrorCode.assistantNotFound, `no assistant "${assistantId}"`);
    const threadId = request.threadId ?? randomUUID();
    const runId = randomUUID();
    const within = options.within;
    const { record, thread, cancelled } = await this.admission.admit(principal, this.access, {
      runId,
      threadId,
      assistantId,
      kwargs: storedKwargs(request),
      metadata: request.metadata,
      threadMetadata: request.threadMetadata,
      multitaskStrategy: request.multitaskStrategy ?? 'reject',
      workerId: this.options.workerId,
      intent: options.intent ?? 'write',
      within: within && ((tx, t) => within(tx, t, runId)),
    });
    this.announceCancelled(thread, cancelled);
    const run = new ActiveRun(record, principal, request, this.options.log, thread.owner);
    this.registry.add(run);
    run.log.append({
      event: 'metadata',
      data: { run_id: run.runId, thread_id: threadId, assistant_id: assistantId, attempt: 1 },
    });
    this.logger.log({ msg: 'run started', run_id: run.runId, thread_id: threadId, assistant_id: assistantId, sub: principal.sub });
    void this.drive(run);
    this.events.runStarted$.next(run);
    return run;
  }

  /**
   * The run a reader wants to watch: the given one, or the thread's current (else latest)
   * run. `thread_not_found` for a thread the principal cannot read, `run_not_found` for a
   * run not on that thread or whose events are no longer kept.
   */
  async locate(principal: Principal, threadId: string, runId?: string): Promise<ActiveRun> {
    await this.threads.readable(principal, threadId);
    const run = runId ? this.registry.get(runId) : (this.registry.runningOn(threadId) ?? (await this.latestKept(threadId)));
    if (!run || run.threadId !== threadId) {
      throw new RunError(RunErrorCode.runNotFound, `run ${runId ?? '(latest)'} not found on thread ${threadId}`);
    }
    return run;
  }

  /**
   * Stops a running run through its AbortSignal (owner or approver); it ends `cancelled`.
   * Resolves once the run has ended, so the thread takes the next message right away.
   */
  async cancel(principal: Principal, threadId: string, runId: string): Promise<ActiveRun> {
    const thread = await this.threads.readable(principal, threadId);
    if (!this.access.canDecide(principal, thread)) throw new RunError(RunErrorCode.forbidden, 'not allowed to cancel runs on this thread');
    const run = this.registry.get(runId);
    if (!run || run.threadId !== threadId) {
      const known = await this.threads.run(runId);
      if (known?.threadId === threadId) throw new RunError(RunErrorCode.runNotActive, `run ${runId} is ${known.status}, not running`);
      throw new RunError(RunErrorCode.runNotFound, `run ${runId} not found on thread ${threadId}`);
    }
    if (run.isEnded) throw new RunError(RunErrorCode.runNotActive, `run ${runId} already ended`);
    run.stop('cancelled');
    await run.finished;
    return run;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.accepting = false;
    const active = this.registry.active();
    if (!active.length) return;
    this.logger.log(`waiting up to ${this.options.shutdownGraceMs} ms for ${active.length} run(s)`);
    const grace = new Promise((resolve) => setTimeout(resolve, this.options.shutdownGraceMs).unref());
    await Promise.race([Promise.all(active.map((r) => r.finished)), grace]);
    const left = this.registry.active();
    for (const run of left) run.stop('shutdown');
    await Promise.all(left.map((r) => r.finished));
  }

  private announceCancelled(thread: ThreadRecord, cancelled: ApprovalRecord[]): void {
    for (const approval of cancelled) {
      this.events.approvalDecided$.next({
        tenant: thread.owner.tenant,
        ownerSub: thread.owner.sub,
        thread_id: approval.threadId,
        interrupt_id: approval.interruptId,
        decision: 'cancelled',
        decided_by: approval.decidedBy ?? thread.owner.sub,
        decided_at: (approval.decidedAt ?? new Date()).toISOString(),
      });
    }
  }

  private async latestKept(threadId: string): Promise<ActiveRun | undefined> {
    const latest = await this.threads.latestRun(threadId);
    return latest && this.registry.get(latest.runId);
  }

  private async drive(run: ActiveRun): Promise<void> {
    const requested = run.request.timeoutMs ?? this.options.runTimeoutMs;
    const timer = setTimeout(() => run.stop('timeout'), Math.min(requested, this.options.maxRunTimeoutMs));
    let outcome: RunOutcome;
    try {
      const graph = await this.graphs.get(run.record.assistantId, { configurable: { thread_id: run.threadId } });
      outcome = await this.executor.execute(run, graph);
    } catch (err) {
      this.logger.error({ msg: 'run could not start', run_id: run.runId, err: (err as Error).message });
      outcome = { status: 'error', error: { code: RunFailureCode.graphError, message: 'the graph could not be loaded' }, interrupts: [] };
    } finally {
      clearTimeout(timer);
    }
    if (outcome.interrupts.length) run.log.append({ event: 'interrupt', data: { interrupts: outcome.interrupts } });
    if (outcome.error) run.log.append({ event: 'error', data: outcome.error });
    try {
      const requested = await this.admission.complete(run.record, outcome);
      for (const approval of requested) {
        this.events.approvalRequested$.next({
          tenant: run.threadOwner.tenant,
          ownerSub: run.threadOwner.sub,
          thread_id: approval.threadId,
          run_id: approval.runId,
          interrupt_id: approval.interruptId,
          value: approval.value,
          requested_by: approval.requestedBy,
          created_at: approval.createdAt.toISOString(),
        });
      }
    } catch (err) {
      this.logger.error({ msg: 'could not record the end of a run', run_id: run.runId, err: (err as Error).message });
    }
    // `end` comes after the database knows: a client that saw it reads the final state.
    run.log.append({ event: 'end', data: { status: outcome.status } });
    this.registry.retire(run, this.options.log.ttlMs);
    run.markFinished();
    this.logger.log({ msg: 'run ended', run_id: run.runId, thread_id: run.threadId, status: outcome.status });
  }
}

/** What is stored with the run row: the request, without anything large or secret. */
function storedKwargs(request: RunRequest): Record<string, unknown> {
  const { input, command, config, streamModes, subgraphs, onDisconnect, multitaskStrategy, messages } = request;
  return { input, command, config, stream_mode: streamModes, subgraphs, on_disconnect: onDisconnect, multitask_strategy: multitaskStrategy, messages };
}
