import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { RiserConfig } from '../config/riser-config.js';
import { tracePostgres } from './pg-tracing.js';

/**
 * The OpenTelemetry SDK, started before the app when tracing is on (an OTLP endpoint is
 * set). NodeSDK reads the standard variables itself — OTEL_EXPORTER_OTLP_* (protocol
 * `http/protobuf` by default, `http/json`, `grpc`), OTEL_TRACES_SAMPLER(_ARG), OTEL_PROPAGATORS,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_* — as users of the SDK expect. Riser exports traces
 * only: its metrics are Prometheus's (OTLP metrics or logs only when OTEL_*_EXPORTER asks).
 * Process-wide, so `main.ts` starts it; apps built in process (tests) get no-op spans. The SDK
 * (~12 MB of modules) is imported only when tracing is on, so a process without it pays nothing.
 * Riser's spans are parented explicitly (request scope, run carrier, LangChain run ids), so
 * OpenTelemetry's context manager is not registered: `context.active()` is always empty.
 */
export async function startTracing(tracing: RiserConfig['tracing']): Promise<NodeSDK | undefined> {
  if (!tracing.enabled) return undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: tracing.serviceName,
    instrumentations: [],
    // No context manager of OpenTelemetry's: spans ride on Riser's own request/run scope
    // (src/logging/log-scope.ts), one AsyncLocalStorage instead of two on every promise.
    contextManager: null as never,
    ...(!process.env.OTEL_METRICS_EXPORTER && { metricReaders: [] }),
    ...(!process.env.OTEL_LOGS_EXPORTER && { logRecordProcessors: [] }),
  });
  sdk.start();
  tracePostgres('riser');
  return sdk;
}
