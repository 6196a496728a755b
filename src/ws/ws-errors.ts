import { ArgumentsHost, Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import { AuthError } from '@riser/auth';
import { isDatabaseUnavailable } from '@riser/persistence';
import { RunError, RunErrorCode } from '@riser/run-core';
import { DATABASE_UNAVAILABLE } from '../http/errors/error-body.js';
import { RateLimitedError } from '../rate-limit/rate-limit.guard.js';

export interface WsErrorBody {
  code: string;
  message: string;
  [detail: string]: unknown;
}

/**
 * Turns any error of a socket event into its ack, `{ok: false, error: {code, message}}`.
 * A thrown error never reaches Socket.IO: the socket and the process go on.
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WsExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = toWsError(exception);
    if (error.code === 'internal') this.logger.error(exception instanceof Error ? exception : String(exception));
    const ack = host.getArgs().find((arg, i) => i >= 2 && typeof arg === 'function') as ((body: unknown) => void) | undefined;
    if (ack) ack({ ok: false, error });
    else host.switchToWs().getClient<{ emit(e: string, b: unknown): void }>().emit('error', error);
  }
}

/**
 * Any error of a socket message as `{code, message, …details}`; anything untyped is
 * `internal`, its details left to the log. Socket.IO acks call a bad payload
 * `invalid_payload`; the plain WebSocket keeps HTTP's `invalid_request` (`invalidCode`).
 */
export function toWsError(exception: unknown, invalidCode = 'invalid_payload'): WsErrorBody {
  if (exception instanceof AuthError) return { code: 'unauthorized', message: exception.message };
  if (exception instanceof RateLimitedError) return { code: exception.code, message: exception.message, retry_after: exception.retryAfterSec };
  if (exception instanceof RunError) {
    const code = exception.code === RunErrorCode.invalidRequest ? invalidCode : exception.code;
    return { ...exception.details, code, message: exception.message };
  }
  if (isDatabaseUnavailable(exception)) return { code: DATABASE_UNAVAILABLE.error, message: DATABASE_UNAVAILABLE.message };
  return { code: 'internal', message: 'internal error' };
}
