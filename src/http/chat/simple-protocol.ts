import type { MessageEvent } from '@nestjs/common';
import type { RunEvent } from '@riser/run-core';

export const DONE = '[DONE]';

/**
 * The seed's wire protocol, as a pure mapping from run events: `{thread_id, run_id}` first,
 * `{content}` per model text chunk, `{interrupt, interrupts}`, `{error, message}`,
 * `{retry: {attempt, discard_from}}` when another replica resumed the run, and `[DONE]` when
 * the run ends. Each frame's id is the event's seq.
 */
export function simpleFrameData(event: RunEvent): string | undefined {
  switch (event.event) {
    case 'metadata':
      return JSON.stringify({ thread_id: event.data.thread_id, run_id: event.data.run_id });
    case 'message':
      // Built as a string: this runs once per token.
      return event.data.role === 'ai' && event.data.text ? `{"content":${JSON.stringify(event.data.text)}}` : undefined;
    case 'interrupt':
      return JSON.stringify({
        interrupt: true,
        interrupts: event.data.interrupts.map(({ id, value }) => ({ id, value })),
      });
    case 'retry':
      return JSON.stringify({ retry: event.data });
    case 'error':
      return JSON.stringify({ error: event.data.code, message: event.data.message });
    case 'end':
      return DONE;
    default:
      return undefined;
  }
}

/** Run event → SSE message event (for `subscribe({project})`); events without a frame are skipped. */
export function simpleSse(event: RunEvent, next: (message: MessageEvent) => void): void {
  const data = simpleFrameData(event);
  if (data !== undefined) next({ id: String(event.seq), data });
}
