import type { Observable } from 'rxjs';

/** Why the run core stops a run: each maps to a final status and error code. */
export type StopReason = 'cancelled' | 'timeout' | 'shutdown' | 'interrupted' | 'rollback' | 'disconnected';

export interface StopSignal {
  runId: string;
  reason: StopReason;
}

/** What replicas tell each other about runs. */
export type RunNote =
  /** A run was admitted: thread followers anywhere start following it. */
  | { kind: 'run.admitted'; runId: string; threadId: string }
  /** A pending run may be claimable now (a run ended, a run was handed back). */
  | { kind: 'runs.claimable' };

/**
 * Control between the replicas that receive requests and the one executing a run: stop
 * signals (cancel, multitask interrupt/rollback, last subscriber gone), notes, and where a
 * run's subscribers are. In-process for one replica, Redis (keys + pub/sub) for several.
 */
export abstract class RunSignals {
  /**
   * Asks the process executing the run to stop it. Also kept for a while, so an executor that
   * starts (or takes the run over) after the signal was sent still sees it.
   */
  abstract stop(signal: StopSignal): Promise<void>;

  /** A stop signal sent for the run before its executor listened, if any. */
  abstract stopRequested(runId: string): Promise<StopReason | undefined>;

  /** Stop signals as they arrive (for every run; executors pick theirs). */
  abstract readonly stops$: Observable<StopSignal>;

  abstract notify(note: RunNote): void;
  abstract readonly notes$: Observable<RunNote>;

  /** A subscriber of the run opened on this replica. */
  abstract subscriberJoined(runId: string): void;
  /** One left; resolves `true` when none is left on any replica. */
  abstract subscriberLeft(runId: string): Promise<boolean>;
}
