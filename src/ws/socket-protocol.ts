import type { RunEvent } from '@riser/run-core';
import { redactSecrets } from '../security/secret-redaction.js';

/**
 * Run events as the gateway's `message` payloads: the simple protocol's, plus `run_id` and
 * `seq`, ending with `{done: true}` instead of `[DONE]`.
 */
export function socketMessage(event: RunEvent, runId: string): Record<string, unknown> | undefined {
  const seq = event.seq;
  switch (event.event) {
    case 'metadata':
      return { thread_id: event.data.thread_id, run_id: runId, seq };
    case 'message':
      return event.data.role === 'ai' && event.data.text ? { content: event.data.text, run_id: runId, seq } : undefined;
    case 'interrupt':
      return { interrupt: true, interrupts: event.data.interrupts.map(({ id, value }) => ({ id, value })), run_id: runId, seq };
    case 'retry':
      return { retry: event.data, run_id: runId, seq };
    case 'error':
      return { error: event.data.code, message: redactSecrets(event.data.message), run_id: runId, seq };
    case 'end':
      return { done: true, status: event.data.status, run_id: runId, seq };
    default:
      return undefined;
  }
}
