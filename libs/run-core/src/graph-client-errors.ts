import { RunError, RunErrorCode } from './run-error.js';

/**
 * LangGraph errors that say the request was wrong, not the server: an update as a node the
 * graph does not have, values its channels or reducers refuse, an update that needs
 * `as_node`, a checkpoint namespace naming no subgraph. Read and write paths of a thread's
 * state turn them into coded client errors (422 / 404 with LangGraph's reason) instead of 500s.
 */
const INVALID_UPDATE = new Set(['InvalidUpdateError', 'EmptyInputError', 'StateGraphInputError', 'GraphValueError', 'UnknownInterruptError', 'MultipleSubgraphsError']);
/** LangChain's codes for input it cannot use (a message that is not one). */
const INVALID_INPUT_CODES = new Set(['MESSAGE_COERCION_FAILURE', 'INVALID_CONCURRENT_GRAPH_UPDATE', 'INVALID_GRAPH_NODE_RETURN_VALUE']);

export function clientErrorOf(err: unknown): RunError | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { lc_error_code?: string }).lc_error_code;
  const reason = err.message.split('\n\nTroubleshooting URL')[0].slice(0, 500);
  if (INVALID_UPDATE.has(err.name) || (code && INVALID_INPUT_CODES.has(code))) {
    return new RunError(RunErrorCode.invalidUpdate, reason, { graph_error: err.name });
  }
  if (/^Subgraph "?.*"? not found$/.test(err.message)) return new RunError(RunErrorCode.subgraphNotFound, reason);
  return undefined;
}

/** Runs `fn`, rethrowing LangGraph's client errors as coded RunErrors. */
export async function asClientErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw clientErrorOf(err) ?? err;
  }
}
