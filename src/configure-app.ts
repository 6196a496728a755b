import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import type { RiserConfig } from './config/riser-config.js';
import { createRootLogger, PinoNestLogger } from './logging/pino-logger.js';
import { registerRateLimit } from './rate-limit/rate-limit.plugin.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { RiserIoAdapter } from './ws/riser-io.adapter.js';
import { RedisConnection } from '@riser/bus';
import { instrumentHttp } from './metrics/http-metrics.js';
import { RiserMetrics } from './metrics/riser-metrics.js';
import { requestIdOf, scopeRequests } from './logging/request-scope.js';
import { catalogRoutes } from './http/openapi/route-catalog.js';
import { traceRequests } from './tracing/http-tracing.js';
import { TRACER_NAME } from './tracing/run-tracing.js';
import { trace } from '@opentelemetry/api';

/**
 * Builds the app exactly as production runs it: Fastify with Riser's limits and logger,
 * CORS, error shapes for what fails before Nest routes a request, shutdown hooks. Shared
 * by main.ts and the tests, so tests exercise the real thing.
 */
export async function createApp(config: RiserConfig, logger: Logger = createRootLogger(config.logLevel)) {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // Once the server closes (after runs drained and streams ended), idle keep-alive
    // connections are closed instead of holding the process open.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // `reqId` in every log line of a request: the client's `x-request-id` when it sends one.
    genReqId: requestIdOf,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  configureApp(app, config);
  registerSecurityHeaders(app);
  await registerRateLimit(app, config, logger);
  await app.init();
  restrictBodyParsers(app);
  return app;
}

export function configureApp(app: NestFastifyApplication, config: RiserConfig): void {
  catalogRoutes(app.getHttpAdapter().getInstance());
  scopeRequests(app.getHttpAdapter().getInstance());
  if (config.tracing.enabled) traceRequests(app.getHttpAdapter().getInstance(), trace.getTracer(TRACER_NAME));
  const metrics = app.get(RiserMetrics);
  if (metrics.enabled) instrumentHttp(app.getHttpAdapter().getInstance(), metrics);
  app.useWebSocketAdapter(new RiserIoAdapter(app, config, config.redis && app.get(RedisConnection)));
  const origins = config.http.corsOrigins;
  app.enableCors({
    origin: origins === '*' ? true : origins,
    credentials: origins !== '*',
    exposedHeaders: ['Content-Location', 'Location', 'x-request-id'],
    maxAge: 600,
  });
}

/**
 * Bodies are JSON only: Fastify's text/plain parser would hand routes a string, which
 * would then fail validation as a 400 instead of the 415 it is. Nest registers its
 * parsers during init, so this runs after it.
 */
export function restrictBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  if (fastify.hasContentTypeParser('text/plain')) fastify.removeContentTypeParser('text/plain');
}
