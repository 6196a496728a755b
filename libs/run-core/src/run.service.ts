import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import { RunStore, type PoolClient, type RunRecord } from '@riser/persistence';
import { filter, map, type Observable } from 'rxjs';
import { ThreadAccess } from './access.js';
import { RunLogs } from './cluster/run-logs.js';
import { RunSignals, type StopReason } from './cluster/run-signals.js';
import { DEFAULT_GRAPH, GraphRegistry } from './graphs/graph-registry.js';
import { RunAdmission, ThreadBusyWith, type Admitted } from './run-admission.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunDriver } from './run-driver.js';
import { RunError, RunErrorCode } from './run-error.js';
import { RunExecution } from './run-execution.js';
import { STOPPED } from './run-executor.js';
import { RunHandle } from './run-handle.js';
import type { RunRequest } from './run-request.js';
import { ThreadService } from './thread.service.js';

export interface StartOptions {
  /** `decide`: a resume by someone allowed to decide the thread's interrupts. */
  intent?: 'write' | 'decide';
  /** Runs in the admitting transaction: a failure admits nothing. */
  within?: (tx: PoolClient, runId: string) => Promise<void>;
}

/**
 * Starts runs and lets transports watch and stop them, whichever replica executes them. A
 * run belongs to the run core, not to the request that started it: transports subscribe to
 * its log and may go away.
 */
@Injectable()
export class RunService {
  private readonly logger = new Logger('RunService');
  private readonly access: ThreadAccess;
  private accepting = true;

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly graphs: GraphRegistry,
    private readonly admission: RunAdmission,
    private readonly driver: RunDriver,
    private readonly threads: ThreadService,
    private readonly store: RunStore,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
    private readonly events: RunCoreEvents,
  ) {
    this.access = new ThreadAccess(options.approverRole);
  }

  /** Runs admitted on any replica: thread followers follow them. */
  get admitted$(): Observable<{ runId: string; threadId: string }> {
    return this.signals.notes$.pipe(
      filter((note) => note.kind === 'run.admitted'),
      map(({ runId, threadId }) => ({ runId, threadId })),
    );
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Shutdown begins: new runs are refused (`shutting_down`, 503). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Admits a run onto its thread (created for its owner on first use) and executes it here,
   * detached from the caller, or leaves it pending (queued, delayed) for whichever replica
   * claims it. On a busy thread the request's multitask strategy decides: `reject` (409
   * `thread_busy`), `enqueue`, `interrupt` or `rollback` the current run.
   */
  async start(principal: Principal, request: RunRequest, options: StartOptions = {}): Promise<RunHandle> {
    if (!this.accepting) throw new RunError(RunErrorCode.shuttingDown, 'the server is shutting down; retry on another replica');
    if (!this.logs.available) throw new RunError(RunErrorCode.unavailable, 'runs cannot be started right now; retry shortly');
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
          delayMs: (request.afterSeconds ?? 0) * 1000,
          request: { ...request, threadId } as Record<string, unknown>,
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
    const log = await this.logs.open(record.runId, 1, { fresh: true });
    log.append({ event: 'metadata', data: { run_id: record.runId, thread_id: threadId, assistant_id: assistantId, attempt: 1 } });
    if (record.status === 'running') {
      void this.driver.drive(new RunExecution(record, request, log));
    } else {
      await this.logs.close(record.runId, 'handed_on');
      this.signals.notify({ kind: 'runs.claimable' });
    }
    this.signals.notify({ kind: 'run.admitted', runId: record.runId, threadId });
    const state = queued ? 'run queued' : record.status === 'pending' ? 'run scheduled' : 'run started';
    this.logger.log({ msg: state, ...(request.afterSeconds && { after_seconds: request.afterSeconds }), run_id: record.runId, thread_id: threadId, assistant_id: assistantId, sub: principal.sub });
    return new RunHandle(record, this.logs, this.signals, thread.owner);
  }

  /**
   * The run a reader wants to watch: the given one, or the thread's current (else latest)
   * run, on whichever replica it executes. `thread_not_found` for a thread the principal
   * cannot read; `run_not_found` for a run not on that thread. A finished run whose events
   * expired can still be watched: it answers with `replay_gap` and its end.
   */
  async locate(principal: Principal, threadId: string, runId?: string): Promise<RunHandle> {
    const thread = await this.threads.readable(principal, threadId);
    const record = runId ? await this.store.get(runId) : await this.store.currentForThread(threadId);
    if (!record || record.threadId !== threadId) {
      throw new RunError(RunErrorCode.runNotFound, `run ${runId ?? '(latest)'} is not available on thread ${threadId}`);
    }
    return new RunHandle(record, this.logs, this.signals, thread.owner);
  }

  /** A run by id, for a transport that was told it was admitted (thread followers). */
  async byId(runId: string): Promise<RunHandle | undefined> {
    const record = await this.store.get(runId);
    return record && new RunHandle(record, this.logs, this.signals);
  }

  /**
   * Stops a running (or pending) run, wherever it executes (owner or approver); it ends
   * `cancelled`. With `wait`, resolves once it has ended, so the thread takes the next
   * message right away.
   */
  async cancel(
    principal: Principal,
    threadId: string,
    runId: string,
    options: { action?: 'interrupt' | 'rollback'; wait?: boolean } = {},
  ): Promise<RunHandle> {
    const thread = await this.threads.readable(principal, threadId);
    if (!this.access.canDecide(principal, thread)) throw new RunError(RunErrorCode.forbidden, 'not allowed to cancel runs on this thread');
    const record = await this.store.get(runId);
    if (!record || record.threadId !== threadId) throw new RunError(RunErrorCode.runNotFound, `run ${runId} not found on thread ${threadId}`);
    if (record.endedAt) throw new RunError(RunErrorCode.runNotActive, `run ${runId} already ended`);
    const handle = new RunHandle(record, this.logs, this.signals, thread.owner);
    await this.stopRun(record, options.action === 'rollback' ? 'rollback' : 'cancelled');
    if (options.wait !== false) await handle.finished;
    return handle;
  }

  /** Multitask `interrupt`/`rollback`: stops the thread's current run and waits for its end. */
  private async displace(runId: string | undefined, reason: 'interrupted' | 'rollback'): Promise<void> {
    // The run may have ended between the refusal and now: the next attempt will tell.
    const record = runId && (await this.store.get(runId));
    if (!record || record.endedAt) return;
    await this.stopRun(record, reason);
    await new RunHandle(record, this.logs, this.signals).finished;
  }

  /** A pending run ends here and now; a running one is signalled to its executor. */
  private async stopRun(record: RunRecord, reason: StopReason): Promise<void> {
    if (record.status === 'pending' && (await this.endPending(record, reason))) return;
    await this.signals.stop({ runId: record.runId, reason });
  }

  /** Ends a run that has not started; `false` when it started meanwhile. */
  async endPending(record: RunRecord, reason: StopReason): Promise<boolean> {
    const { status, error } = STOPPED[reason];
    const { ended } = await this.store.finish(record.runId, { status, error, onlyPending: true });
    if (!ended) return false;
    await this.logs.appendDetached(record.runId, [
      ...(error ? [{ event: 'error' as const, data: error }] : []),
      { event: 'end', data: { status } },
    ]);
    this.signals.notify({ kind: 'runs.claimable' });
    return true;
  }
}

/** What is stored with the run row for its API shapes: the request, without anything large or secret. */
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
