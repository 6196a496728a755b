/** Stable error codes clients branch on. Each transport maps them to its own shape. */
export const RunErrorCode = {
  invalidRequest: 'invalid_request',
  assistantNotFound: 'assistant_not_found',
  threadNotFound: 'thread_not_found',
  runNotFound: 'run_not_found',
  threadBusy: 'thread_busy',
  forbidden: 'forbidden',
  shuttingDown: 'shutting_down',
  notInterrupted: 'not_interrupted',
  interruptNotFound: 'interrupt_not_found',
  alreadyDecided: 'already_decided',
  runNotActive: 'run_not_active',
  replayGap: 'replay_gap',
  threadExists: 'thread_exists',
  runActive: 'run_active',
  notImplemented: 'not_implemented',
} as const;
export type RunErrorCode = (typeof RunErrorCode)[keyof typeof RunErrorCode];

/** An error with a code, thrown anywhere in the run core and translated at the edge. */
export class RunError extends Error {
  constructor(
    readonly code: RunErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

/** Codes a run can end with (in `error` events and the run's row). */
export const RunFailureCode = {
  timeout: 'timeout',
  cancelled: 'cancelled',
  graphError: 'graph_error',
  shutdown: 'shutdown',
  interrupted: 'interrupted',
  rolledBack: 'rolled_back',
  interruptedByRestart: 'interrupted_by_restart',
  slowConsumer: 'slow_consumer',
  replayGap: 'replay_gap',
} as const;
