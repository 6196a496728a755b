import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';

/**
 * Security headers fit for an API that serves no HTML: `nosniff`; framing refused twice
 * (`X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`); a CSP that lets nothing load
 * (`default-src 'none'`), for anything a browser might still render; no referrer; HSTS.
 * Cross-origin resource, embedder and opener policies stay off: browsers on other origins
 * call this API through CORS, which is what decides who may read it. None of these touch
 * how an event stream is written. docker/nginx.conf sets the same ones for what nginx
 * answers itself.
 */
export const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: false,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
} as const;

/**
 * On every Fastify answer, JSON and SSE alike; Socket.IO's HTTP answers get them in
 * RiserIoAdapter. Helmet is built once here: @fastify/helmet builds it again (and parses the
 * CSP directives again) for every request, in two async hooks, for headers that never change.
 */
export function registerSecurityHeaders(app: NestFastifyApplication): void {
  const setHeaders = helmet(HELMET_OPTIONS);
  app.getHttpAdapter().getInstance().addHook('onRequest', (request, reply, done) => setHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)));
}
