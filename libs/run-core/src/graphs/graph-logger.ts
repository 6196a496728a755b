import { Logger } from '@nestjs/common';

/** Where `@langchain/langgraph-sdk/logging`'s `getLogger()` looks for the server's logger. */
const SDK_LOGGER = Symbol.for('langgraph.api.sdk-logger');

type Level = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/** winston's npm levels (the SDK's `Logger` type) onto Nest's, which Riser writes with pino. */
const LEVELS: Record<string, Level> = {
  error: 'error',
  warn: 'warn',
  help: 'log',
  data: 'log',
  info: 'log',
  prompt: 'log',
  http: 'log',
  input: 'log',
  debug: 'debug',
  verbose: 'verbose',
  silly: 'verbose',
};

/**
 * Registers the logger that graphs get from `getLogger()` of `@langchain/langgraph-sdk/logging`,
 * as the official server does: without it that call throws, and a graph module that calls it
 * at import (as LangGraph's example graphs do) would stop Riser from starting. Lines go to
 * Riser's log (context `graph`), with the run's ids where a run is in scope.
 */
export function registerSdkLogger(): void {
  const logger = new Logger('graph');
  const sdkLogger: Record<string, unknown> = {};
  for (const [name, level] of Object.entries(LEVELS)) {
    sdkLogger[name] = (message: unknown, ...meta: unknown[]) => {
      logger[level](entry(message, meta));
      return sdkLogger;
    };
  }
  (globalThis as Record<symbol, unknown>)[SDK_LOGGER] = sdkLogger;
}

function entry(message: unknown, meta: unknown[]): Record<string, unknown> {
  const extra = Object.assign({}, ...meta.filter((m) => m && typeof m === 'object')) as Record<string, unknown>;
  if (message && typeof message === 'object' && !(message instanceof Error)) return { ...(message as Record<string, unknown>), ...extra };
  const text = message instanceof Error ? `${message.name}: ${message.message}` : String(message);
  return { msg: text, ...extra };
}
