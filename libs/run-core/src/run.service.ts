import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import type { PoolClient, ThreadRecord } from '@riser/persistence';
import { ThreadAccess } from './access.js';
import { ActiveRun } from './active-run.js';
import { ArchivedRun, type WatchableRun } from './archived-run.js';
import { DEFAULT_GRAPH, GraphRegistry } from './graphs/graph-registry.js';
import { RunAdmission, ThreadBusyWith, type Admitted } from './run-admission.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunDriver } from './run-driver.js';
import { RunError, RunErrorCode } from './run-error.js';
import { RunRegistry } from './run-registry.js';
import type { RunRequest } from './run-request.js';
import { ThreadService } from './thread.service.js';

export interface StartOptions {
  /** `decide`: a resume by someone allowed to decide the thread's interrupts. */
  intent?: 'write' | 'decide';
  /** Runs in the admitting transaction: a failure admits nothing. */
  within?: (tx: PoolClient, runId: string) => Promise<void>;
}

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
    private readonly driver: RunDriver,
    private readonly registry: RunRegistry,
    private readonly threads: ThreadService,
    private readonly events: RunCoreEvents,
  ) {
    this.access = new ThreadAccess(options.approverRole);
  }

  /**
   * Admits a run onto its thread (created for its owner on first use) and executes it
   * detached from the caller. On a busy thread the request's multitask strategy decides:
   * `reject` (409 `thread_busy`), `enqueue`, `interrupt` or `rollback` the current run.
   */
  async start(principal: Principal, request: RunRequest, options: StartOptions = {}): Promise<ActiveRun> {
    if (!this.accepting) throw new RunError(RunErrorCode.shuttingDown, 'the server is shutting down; retry on another replica');
    const assistantId = request.assistantId ?? DEFAULT_GRAPH;
    if (!this.graphs.has(assistantId)) throw new RunError(RunErrorCode.assistantNotFound, `no assistant "${assistantId}"`);
    const threadId = request.threadId ?? randomUUID();
    const strategy = request.multitaskStrategy ?? 'reject';
    let admitted: Admitted | undefined;
    for (let attempt = 0; !admitted; attempt++) {
      const runId = randomUUID();
      const within = options.within;
      try {
        admitted = await this.admission.admit(principal, {
          runId,
          threadId,
          assistantId,
          kwargs: storedKwargs(request),
          metadata: request.metadata,
          threadMetadata: request.threadMetadata,
          multitaskStrategy: strategy,
          worker: this.options.worker,
          leaseMs: this.options.leaseMs,
          delayed: (request.afterSeconds ?? 0) > 0,
          intent: options.intent ?? 'write',
          within: within && ((tx) => within(tx, runId)),
        });
      } catch (err) {
        if (!(err instanceof ThreadBusyWith)) throw err;
        if (attempt >= 3) throw new RunError(RunErrorCode.threadBusy, `thread ${threadId} stayed busy`);
        await this.displace(err.runId, strategy === 'rollback' ? 'rollback' : 'interrupted');
      }
    }
    const { record, thread, cancelled, queued } = admitted;
    for (const approval of cancelled) this.events.decided(thread.owner, approval);
    const run = new ActiveRun(record, principal, request, this.options.log, thread.owner, queued);
    this.registry.add(run);
    run.log.append({ event: 'metadata', data: { run_id: run.runId, thread_id: threadId, assistant_id: assistantId, attempt: 1 } });
    const state = run.isQueued ? 'run queued' : run.isPending ? 'run scheduled' : 'run started';
    this.logger.log({ msg: state, ...(request.afterSeconds && { after_seconds: request.afterSeconds }), run_id: run.runId, thread_id: threadId, assistant_id: assistantId, sub: principal.sub });
    void this.driver.drive(run);
    this.events.runStarted$.next(run);
    return run;
  }

  /** A run executing (or recently finished) in this process, by id. */
  local(runId: string): ActiveRun | undefined {
    return this.registry.get(runId);
  }

  /**
   * The run a reader wants to watch: the given one, or the thread's current (else latest)
   * run. `thread_not_found` for a thread the principal cannot read; `run_not_found` for a run
   * not on that thread or executing on another replica. A finished run whose events expired
   * can still be watched: it answers with `replay_gap` and its end.
   */
  async locate(principal: Principal, threadId: string, runId?: string): Promise<WatchableRun> {
    await this.threads.readable(principal, threadId);
    const local = runId ? this.registry.get(runId) : this.registry.runningOn(threadId);
    if (local && local.threadId === threadId) return local;
    const record = runId ? await this.threads.run(runId) : await this.threads.latestRun(threadId);
    if (record && record.threadId === threadId) {
      const kept = this.registry.get(record.runId);
      if (kept) return kept;
      if (record.endedAt) return new ArchivedRun(record);
    }
    throw new RunError(RunErrorCode.runNotFound, `run ${runId ?? '(latest)'} is not available on thread ${threadId}`);
  }

  /**
   * Stops a running (or queued) run through its AbortSignal (owner or approver); it ends
   * `cancelled`. Resolves once it has ended, so the thread takes the next message right away.
   */
  async cancel(
    principal: Principal,
    threadId: string,
    runId: string,
    options: { action?: 'interrupt' | 'rollback'; wait?: boolean } = {},
  ): Promise<ActiveRun> {
    const thread = await this.threads.readable(principal, threadId);
    if (!this.access.canDecide(principal, thread)) throw new RunError(RunErrorCode.forbidden, 'not allowed to cancel runs on this thread');
    const run = this.registry.get(runId);
    if (!run || run.threadId !== threadId) {
      const known = await this.threads.run(runId);
      if (known?.threadId === threadId) throw new RunError(RunErrorCode.runNotActive, `run ${runId} is ${known.status}, not running here`);
      throw new RunError(RunErrorCode.runNotFound, `run ${runId} not found on thread ${threadId}`);
    }
    if (run.isEnded) throw new RunError(RunErrorCode.runNotActive, `run ${runId} already ended`);
    run.stop(options.action === 'rollback' ? 'rollback' : 'cancelled');
    if (options.wait !== false) await run.finished;
    return run;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.accepting = false;
    // A delayed run not yet due would only hold the shutdown for the whole grace period.
    for (const run of this.registry.active()) if (run.dueAt > Date.now()) run.stop('shutdown');
    const active = this.registry.active();
    if (!active.length) return;
    this.logger.log(`waiting up to ${this.options.shutdownGraceMs} ms for ${active.length} run(s)`);
    const grace = new Promise((resolve) => setTimeout(resolve, this.options.shutdownGraceMs).unref());
    await Promise.race([Promise.all(active.map((r) => r.finished)), grace]);
    const left = this.registry.active();
    for (const run of left) run.stop('shutdown');
    await Promise.all(left.map((r) => r.finished));
  }

  /** Multitask `interrupt`/`rollback`: stops the thread's current run and waits for its end. */
  private async displace(runId: string | undefined, reason: 'interrupted' | 'rollback'): Promise<void> {
    // The run may have ended between the refusal and now: the next attempt will tell.
    if (!runId) return;
    const current = this.registry.get(runId);
    if (!current) throw new RunError(RunErrorCode.threadBusy, 'the run on this thread is executing on another replica');
    current.stop(reason);
    await current.finished;
  }
}

/** What is stored with the run row: the request, without anything large or secret. */
function storedKwargs(request: RunRequest): Record<string, unknown> {
  const { input, command, config, streamModes, subgraphs, onDisconnect, multitaskStrategy, messages, clientModes, afterSeconds } = request;
  return {
    ...(afterSeconds && { after_seconds: afterSeconds }),
    input,
    command,
    config,
    stream_mode: clientModes ?? streamModes,
    subgraphs,
    on_disconnect: onDisconnect,
    multitask_strategy: multitaskStrategy,
    messages,
  };
}
