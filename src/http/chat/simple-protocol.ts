import type { MessageEvent } from '@nestjs/common';
import type { RunEvent } from '@riser/run-core';
import { redactSecrets } from '../../security/secret-redaction.js';
import { HEARTBEAT_COMMENT, type SseProtocol } from '../sse/sse-protocol.js';

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
      // A graph's error message may quote a connection string or a key.
      return JSON.stringify({ error: event.data.code, message: redactSecrets(event.data.message) });
    case 'end':
      return DONE;
    default:
      return undefined;
  }
}

/**
 * The simple protocol's streams: each run event as a frame (events without one skipped);
 * the heartbeat a `: heartbeat` comment, or with SSE_HEARTBEAT_STYLE=data the seed's
 * `data: {"heartbeat": true}` carrying the last frame's id (an empty `id:` would reset the
 * client's Last-Event-ID); a failed stream ends `{error: "internal"}` then `[DONE]`.
 */
export const simpleSse: SseProtocol = {
  project(event: RunEvent, next: (message: MessageEvent) => void): void {
    const data = simpleFrameData(event);
    if (data !== undefined) next({ id: String(event.seq), data });
  },
  heartbeat: (lastId, style) => (style === 'data' ? { id: lastId, data: '{"heartbeat":true}' } : HEARTBEAT_COMMENT),
  failed: (lastId) => [
    { id: lastId, data: JSON.stringify({ error: 'internal', message: 'the stream failed' }) },
    { id: lastId, data: DONE },
  ],
};
