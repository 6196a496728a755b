import type { FastifyInstance } from 'fastify';
import type { RiserMetrics } from './riser-metrics.js';

/**
 * Counts every HTTP request by its route template (`/threads/:thread_id/runs`, never the
 * ids in it; `unmatched` for a 404 no route knows), method and status, and times it to its
 * last byte. It listens for the response's `close`, which Node emits for answers Fastify
 * sends and for SSE streams Nest writes itself alike, finished or cut.
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: RiserMetrics): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    const started = performance.now();
    reply.raw.once('close', () => {
      const route = req.routeOptions.url ?? 'unmatched';
      const method = req.method;
      metrics.httpRequests.inc({ route, method, status: String(reply.raw.statusCode) });
      metrics.httpDuration.observe({ route, method }, (performance.now() - started) / 1000);
    });
    done();
  });
}
