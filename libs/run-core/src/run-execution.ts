import type { Owner, RunRecord } from '@riser/persistence';
import type { StopReason } from './cluster/run-signals.js';
import type { RunEventLog } from './event-log.js';
import type { RunEventInput } from './run-event.js';
import type { RunRequest } from './run-request.js';

/** Why this process stopped executing a run it did not end: another one goes on with it. */
export type LetGo =
  /** A later attempt took the run (this process lost its lease): nothing more is recorded here. */
  | 'fenced'
  /** This replica is shutting down: the run is resumed elsewhere from its checkpoint. */
  | 'handed_back';

/**
 * One attempt at a run, executing in this process: its log, its abort signal, its lease.
 * Created when a run is admitted here, claimed here, or taken over here; the run outlives it
 * when it is fenced or handed back.
 */
export class RunExecution {
  private readonly controller = new AbortController();
  private stopReasonValue?: StopReason;
  private letGoValue?: LetGo;
  private resolveFinished!: () => void;
  /** Settles when this attempt is over (the run ended, or was let go). */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));
  /** Until when this process may write the run (epoch ms); renewed with the lease. */
  leaseDeadline = Number.POSITIVE_INFINITY;
  /** When this attempt began here (epoch ms). */
  readonly startedAt = Date.now();

  constructor(
    readonly record: RunRecord,
    readonly request: RunRequest,
    readonly log: RunEventLog,
    /** Resume from the thread's latest checkpoint instead of the request's input (a takeover). */
    readonly resumeFromCheckpoint = false,
  ) {}

  get runId(): string {
    return this.record.runId;
  }

  get threadId(): string {
    return this.record.threadId;
  }

  get attempt(): number {
    return this.record.attempt;
  }

  get owner(): Owner {
    return this.record.owner;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopReason(): StopReason | undefined {
    return this.stopReasonValue;
  }

  get letGo(): LetGo | undefined {
    return this.letGoValue;
  }

  /**
   * Records an event of this attempt. Nothing is recorded once the lease is gone by this
   * process's own clock (a process resumed after a freeze learns it here, before any round
   * trip), nor after the run was let go.
   */
  append(event: RunEventInput): void {
    if (this.letGoValue) return;
    // One replica (no deadline) reads no clock per token.
    if (this.leaseDeadline !== Number.POSITIVE_INFINITY && Date.now() > this.leaseDeadline) return this.letGoOf('fenced');
    this.log.append(event);
  }

  /** Aborts the graph; the run ends with the reason's status. The first reason given wins. */
  stop(reason: StopReason): boolean {
    if (this.stopReasonValue || this.letGoValue || this.log.isEnded) return false;
    this.stopReasonValue = reason;
    this.controller.abort(new Error(`run ${reason}`));
    return true;
  }

  /** Aborts the graph without ending the run: another process goes on with it. */
  letGoOf(why: LetGo): void {
    if (this.letGoValue || this.log.isEnded) return;
    this.letGoValue = why;
    this.controller.abort(new Error(`run ${why}`));
  }

  /** Throws (and lets the run go) when this process may no longer write the run. */
  assertLease(): void {
    if (!this.letGoValue && Date.now() > this.leaseDeadline) this.letGoOf('fenced');
    if (this.letGoValue === 'fenced') throw new Error(`run ${this.runId}: this process lost its lease`);
  }

  markFinished(): void {
    this.resolveFinished();
  }
}
