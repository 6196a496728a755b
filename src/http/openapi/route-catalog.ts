import type { FastifyInstance } from 'fastify';

const CATALOG = Symbol('riser:routes');

/** The routes the router serves: `{method, url}`, as registered (HEAD and OPTIONS left out). */
export interface ServedRoute {
  method: string;
  url: string;
}

/**
 * Records every route as Fastify registers it, so a test can hold the API document against
 * what is really served. Called before Nest registers its routes (configureApp).
 */
export function catalogRoutes(fastify: FastifyInstance): void {
  const routes: ServedRoute[] = [];
  (fastify as unknown as Record<symbol, ServedRoute[]>)[CATALOG] = routes;
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url: route.url });
    }
  });
}

export function servedRoutes(fastify: FastifyInstance): ServedRoute[] {
  return (fastify as unknown as Record<symbol, ServedRoute[]>)[CATALOG] ?? [];
}
