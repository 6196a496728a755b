import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import type { PoolClient } from '@riser/persistence';
import { filter, map, type Observable } from 'rxjs';
import { RunLogs } from './cluster/run-logs.js';
import { RunSignals } from './cluster/run-signals.js';
import { DEFAULT_GRAPH } from './graphs/graph-registry.js';
import { RunAdmission, ThreadBusyWith, type Admitted } from './run-admission.js';
import { RunControl } from './run-control.js';
import { RunCoreEvents } from './run-core.events.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunDriver } from './run-driver.js';
import { RunError, RunErrorCode } from './run-error.js';
import { RunExecution } from './run-execution.js';
import type { RunHandle } from './run-handle.js';
import { RunHandles } from './run-handles.js';
import type { RunRequest } from './run-request.js';

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
  private accepting = true;

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly admission: RunAdmission,
    private readonly driver: RunDriver,
    private readonly logs: RunLogs,
    private readonly signals: RunSignals,
    private readonly handles: RunHandles,
    private readonly control: RunControl,
    private readonly events: RunCoreEvents,
  ) {}

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
    const carrier = request.carrier ?? this.events.carrier();
    if (carrier) request = { ...request, carrier };
    const assistantId = request.assistantId ?? DEFAULT_GRAPH;
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
        await this.control.displace(err.runId, strategy === 'rollback' ? 'rollback' : 'interrupted');
      }
    }
    const { record, thread, queued } = admitted;
    const log = await this.logs.open(record.runId, 1, { fresh: true });
    log.append({ event: 'metadata', data: { run_id: record.runId, thread_id: threadId, assistant_id: assistantId, attempt: 1 } });
    if (record.status === 'running') {
      void this.driver.drive(new RunExecution(record, request, log));
    } else {
      await this.logs.close(record.runId, 'handed_on');
      this.signals.notify({ kind: 'runs.claimable' });
    }
    this.signals.notify({ kind: 'run.admitted', runId: record.runId, threadId });
    this.events.lifecycle$.next({ kind: 'admitted', runId: record.runId, assistantId, protocol: request.protocol ?? 'simple', status: record.status === 'running' ? 'running' : 'pending' });
    const state = queued ? 'run queued' : record.status === 'pending' ? 'run scheduled' : 'run started';
    this.logger.log({ msg: state, ...(request.afterSeconds && { after_seconds: request.afterSeconds }), run_id: record.runId, thread_id: threadId, assistant_id: assistantId, sub: principal.sub });
    return this.handles.of(record, thread.owner);
  }

  locate(principal: Principal, threadId: string, runId?: string): Promise<RunHandle> {
    return this.handles.locate(principal, threadId, runId);
  }

  byId(runId: string): Promise<RunHandle | undefined> {
    return this.handles.byId(runId);
  }

  cancel(principal: Principal, threadId: string, runId: string, options: { action?: 'interrupt' | 'rollback'; wait?: boolean } = {}): Promise<RunHandle> {
    return this.control.cancel(principal, threadId, runId, options);
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
