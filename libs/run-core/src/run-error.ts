/** Stable error codes clients branch on. Each transport maps them to its own shape. */
export const RunErrorCode = {
  invalidRequest: 'invalid_request',
  /** A body or frame that is not JSON at all. */
  invalidJson: 'invalid_json',
  /** A `message` over MAX_MESSAGE_BYTES (the body itself may be within BODY_LIMIT_BYTES). */
  messageTooLarge: 'message_too_large',
  assistantNotFound: 'assistant_not_found',
  threadNotFound: 'thread_not_found',
  runNotFound: 'run_not_found',
  threadBusy: 'thread_busy',
  forbidden: 'forbidden',
  shuttingDown: 'shutting_down',
  /** The shared store (Redis) cannot be reached: retry shortly. */
  unavailable: 'unavailable',
  /** The tenant has MAX_ACTIVE_RUNS_PER_TENANT runs pending or running. */
  tooManyRuns: 'too_many_runs',
  notInterrupted: 'not_interrupted',
  interruptNotFound: 'interrupt_not_found',
  alreadyDecided: 'already_decided',
  runNotActive: 'run_not_active',
  replayGap: 'replay_gap',
  threadExists: 'thread_exists',
  runActive: 'run_active',
  notImplemented: 'not_implemented',
  /** An assistant (or cron) id already taken. */
  assistantExists: 'assistant_exists',
  /** A system assistant (a graph of langgraph.json): read-only through the API. */
  assistantReadOnly: 'assistant_read_only',
  cronNotFound: 'cron_not_found',
  /** LangGraph refused a state update or read as the client's mistake (unknown `as_node`, values it cannot apply). */
  invalidUpdate: 'invalid_update',
  /** A checkpoint namespace that names no subgraph of the thread's graph. */
  subgraphNotFound: 'subgraph_not_found',
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
} as const;

/**
 * Codes that end one subscriber's stream while the run goes on: the subscriber may rejoin
 * (from its last event id) and gets the rest.
 */
export const StreamEndCode = {
  /** It fell too far behind the run. */
  slowConsumer: 'slow_consumer',
  /** Events after its cursor are no longer kept. */
  replayGap: 'replay_gap',
  /** This replica is going away (or lost the store that feeds it): rejoin through another. */
  rejoin: 'rejoin',
} as const;
