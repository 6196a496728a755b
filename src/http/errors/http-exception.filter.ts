import { Catch, HttpException, Inject, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDatabaseUnavailable } from '@riser/persistence';
import { RunError } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { refusalReason } from '../../metrics/auth-refusal.js';
import { RiserMetrics } from '../../metrics/riser-metrics.js';
import { drainRequest } from './drain-request.js';
import { CODE_OF_STATUS, DATABASE_UNAVAILABLE, STATUS_OF_CODE, type ErrorBody } from './error-body.js';

/**
 * Turns every error of an HTTP request into a status and a JSON `{error, message}`: typed
 * errors by their code, HTTP exceptions by their status, Fastify's own (body parsing,
 * limits) by theirs. Anything else is a 500 whose details stay in the log.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    @Optional() private readonly metrics?: RiserMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof HttpException && exception.getStatus() === 204) {
      reply.status(204).send();
      return;
    }
    const { status, body } = toHttpError(exception);
    if (status === 401 && body.error === 'unauthorized') this.metrics?.authRefusals.inc({ reason: refusalReason(body.message) });
    if (status >= 500 && status !== 503) this.logger.error(exception instanceof Error ? exception : String(exception));
    else if (body === DATABASE_UNAVAILABLE) this.logger.warn(`database unavailable: ${(exception as Error).message}`);
    if (reply.sent || reply.raw.headersSent) {
      // An SSE stream already answered 200: nothing more can be sent as an HTTP error.
      reply.raw.destroy();
      return;
    }
    const send = () => reply.status(status).header('cache-control', 'no-store').send(body);
    // A body refused while it is still arriving is read to its end first, so the client
    // can read the answer (see drainRequest).
    if (status === 413 && !reply.request.raw.complete) {
      void drainRequest(reply.request.raw, this.config.http.bodyDrainMaxBytes).then(send);
      return;
    }
    send();
  }
}

export function toHttpError(exception: unknown): { status: number; body: ErrorBody } {
  if (exception instanceof RunError) {
    return {
      status: STATUS_OF_CODE[exception.code] ?? 400,
      body: { error: exception.code, message: exception.message, ...exception.details },
    };
  }
  // Fastify's own errors (body parsing, limits) reach filters wrapped by Nest.
  const cause = exception instanceof HttpException ? (exception.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string' && cause.code.startsWith('FST_')) return toHttpError(cause);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (response && typeof response === 'object' && typeof (response as ErrorBody).error === 'string') {
      const r = response as ErrorBody;
      // Nest's own bodies use `error` for the status text ("Not Found"): make it a code.
      const error = /\s|[A-Z]/.test(r.error) ? (CODE_OF_STATUS[status] ?? 'error') : r.error;
      const message = Array.isArray(r.message) ? r.message.join('; ') : String(r.message ?? exception.message);
      const { statusCode: _status, ...rest } = r;
      return { status, body: { ...rest, error, message } };
    }
    return { status, body: { error: CODE_OF_STATUS[status] ?? 'error', message: exception.message } };
  }
  const fastify = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: fastifyErrorBody(fastify.statusCode, fastify.code, fastify.message) };
  }
  if (isDatabaseUnavailable(exception)) return { status: 503, body: DATABASE_UNAVAILABLE };
  return { status: 500, body: { error: 'internal', message: 'internal server error' } };
}

function fastifyErrorBody(status: number, code: string | undefined, message: string | undefined): ErrorBody {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: 'invalid_json', message: 'the request body is not valid JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: 'payload_too_large', message: 'the request body is larger than the server accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: 'unsupported_media_type', message: 'send the body as application/json' };
    default:
      if (status === 400 && message?.includes('JSON')) return { error: 'invalid_json', message: 'the request body is not valid JSON' };
      return { error: CODE_OF_STATUS[status] ?? 'bad_request', message: message ?? 'bad request' };
  }
}
