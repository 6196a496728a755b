import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { RunEvent } from '@riser/run-core';

export const DONE = '[DONE]';

/**
 * The seed's wire protocol, as a pure mapping from run events: `{thread_id, run_id}` first,
 * `{content}` per model text chunk, `{interrupt, interrupts}`, `{error, message}`, and
 * `[DONE]` when the run ends. Each frame's id is the event's seq.
 */
export function simpleFrameData(event: RunEvent): string | undefined {
  switch (event.event) {
    case 'metadata':
      return JSON.stringify({ thread_id: event.data.thread_id, run_id: event.data.run_id });
    case 'message':
      return event.data.role === 'ai' && event.data.text ? JSON.stringify({ content: event.data.text }) : undefined;
    case 'interrupt':
      return JSON.stringify({
        interrupt: true,
        interrupts: event.data.interrupts.map(({ id, value }) => ({ id, value })),
      });
    case 'error':
      return JSON.stringify({ error: event.data.code, message: event.data.message });
    case 'end':
      return DONE;
    default:
      return undefined;
  }
}

/** Run events → SSE message events; events the protocol has no frame for are skipped. */
export function toSimpleSse(events: Observable<RunEvent>): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) =>
    events.subscribe({
      next: (event) => {
        const data = simpleFrameData(event);
        if (data !== undefined) subscriber.next({ id: String(event.seq), data });
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    }),
  );
}
