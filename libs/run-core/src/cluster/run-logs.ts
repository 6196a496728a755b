import type { RunEventLog } from '../event-log.js';
import type { RunEventInput } from '../run-event.js';

/** How a replica lets go of the log it wrote a run's events to. */
export type LogRelease =
  /** The run ended: its log is kept `RUN_LOG_TTL_MS` more for late rejoins. */
  | 'ended'
  /** Another process goes on writing it (a queued run claimed elsewhere, a run handed back). */
  | 'handed_on';

/**
 * Every run's event log, wherever the run executes: one port, an in-process implementation
 * (one replica) and a Redis Streams one (several). A replica writes the runs it executes and
 * reads any run through a local log — the one it writes, or a mirror of another replica's —
 * so subscribers here are fed from memory at their own pace, and each run is read from the
 * shared store once per replica, not once per subscriber.
 */
export abstract class RunLogs {
  /**
   * The log this replica writes a run's events to, as attempt `attempt`. Events kept from
   * before (the admission's `metadata`, an earlier attempt's frames) come first, and numbering
   * goes on after them (`fresh`: a run just admitted, nothing to read). `onFenced` is called
   * if a later attempt took the run meanwhile: from then on nothing this log gets is stored.
   */
  abstract open(runId: string, attempt: number, options?: { fresh?: boolean; onFenced?: () => void }): Promise<RunEventLog>;

  /** Stops writing the run's log here; what it holds is stored first. */
  abstract close(runId: string, how: LogRelease): Promise<void>;

  /**
   * A local log to read the run from, shared by this replica's readers of it; `undefined`
   * when no event of the run is kept anywhere — unless `active` (the run has not ended: its
   * events may still come). Give it back with `release`.
   */
  abstract acquire(runId: string, active: boolean): Promise<RunEventLog | undefined>;
  abstract release(runId: string): void;

  /** Appends to the log of a run no replica executes (a pending run cancelled, an orphan ended). */
  abstract appendDetached(runId: string, events: RunEventInput[]): Promise<void>;

  /**
   * The runs this replica executes are still active: their logs must not expire, however
   * quiet they are (a long tool call). Called with every lease renewal.
   */
  abstract keepAlive(runIds: string[]): Promise<void>;

  /** Ends every reader here with `code` once it has read what is kept (shutdown: `rejoin`). */
  abstract stopReaders(code: string, message: string): void;

  /** False while the shared store cannot be reached (new runs are refused meanwhile). */
  abstract get available(): boolean;
}
