import { RunErrorCode } from '@riser/run-core';

/** The JSON every HTTP error answers with. Clients branch on `error`, a stable code. */
export interface ErrorBody {
  error: string;
  message: string;
  [detail: string]: unknown;
}

export const STATUS_OF_CODE: Record<string, number> = {
  [RunErrorCode.invalidRequest]: 400,
  [RunErrorCode.invalidJson]: 400,
  [RunErrorCode.messageTooLarge]: 413,
  [RunErrorCode.forbidden]: 403,
  [RunErrorCode.assistantNotFound]: 404,
  [RunErrorCode.threadNotFound]: 404,
  [RunErrorCode.runNotFound]: 404,
  [RunErrorCode.interruptNotFound]: 404,
  [RunErrorCode.threadBusy]: 409,
  [RunErrorCode.alreadyDecided]: 409,
  [RunErrorCode.notInterrupted]: 409,
  [RunErrorCode.runNotActive]: 409,
  [RunErrorCode.replayGap]: 410,
  [RunErrorCode.threadExists]: 409,
  [RunErrorCode.runActive]: 409,
  [RunErrorCode.notImplemented]: 404,
  [RunErrorCode.assistantExists]: 409,
  [RunErrorCode.assistantReadOnly]: 409,
  [RunErrorCode.cronNotFound]: 404,
  [RunErrorCode.invalidUpdate]: 422,
  [RunErrorCode.subgraphNotFound]: 404,
  [RunErrorCode.shuttingDown]: 503,
  [RunErrorCode.unavailable]: 503,
  [RunErrorCode.tooManyRuns]: 429,
};

/** A code for a bare HTTP status (errors that carry no code of their own). */
export const CODE_OF_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  503: 'unavailable',
};

/**
 * The answer (503) when the database cannot be reached right now: no free connection within
 * DB_POOL_WAIT_MS, or the server refused or cut the connection. The same object every time, so
 * the filter can tell it apart to log it.
 */
export const DATABASE_UNAVAILABLE: ErrorBody = Object.freeze({
  error: RunErrorCode.unavailable,
  message: 'the database is not answering right now; retry shortly',
});
