import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { logScope } from '../logging/log-scope.js';

/**
 * A SERVER span per HTTP request, continuing the client's `traceparent` (whatever
 * OTEL_PROPAGATORS configures), named by route template; it is the span of the request's
 * scope (src/logging/log-scope.ts), so the run it starts is its child. Registered after the
 * scope's hook. Ends when the response closes (a stream: at its end). The path is recorded
 * without its query (`access_token` may be there).
 */
export function traceRequests(fastify: FastifyInstance, tracer: Tracer): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    const route = req.routeOptions.url;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${req.method} ${route ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          ...(route && { 'http.route': route }),
          'url.path': req.url.split('?')[0],
          'riser.request_id': req.id,
        },
      },
      parent,
    );
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    const scope = logScope.getStore();
    if (scope) scope.span = span;
    done();
  });
}
