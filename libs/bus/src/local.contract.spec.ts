import { LocalRunLogs, LocalRunSignals, type RunCoreOptions } from '@riser/run-core';
import { runLogsContract } from './contract/run-logs.contract.js';
import { runSignalsContract } from './contract/run-signals.contract.js';

const limits = { maxEvents: 50, maxBytes: 1e9, ttlMs: 300 };

runLogsContract('in process', { fences: false }, async () => {
  const logs = new LocalRunLogs({ log: limits } as RunCoreOptions);
  return { a: logs, b: logs, limits, close: async () => undefined };
});

runSignalsContract('in process', async () => {
  const signals = new LocalRunSignals();
  return { a: signals, b: signals, close: async () => undefined };
});
