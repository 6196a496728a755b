import type { MessageEvent } from '@nestjs/common';
import { StreamEndCode, type MessageEventData, type PlainMessage, type RunEvent } from '@riser/run-core';
import { HEARTBEAT_COMMENT, type SseProtocol } from '../sse/sse-protocol.js';
import { platformDebugChunk } from './platform-debug.js';
import { platformError, serialize } from './platform-shapes.js';

/**
 * Run events as the LangGraph Platform API's SSE events, for the stream modes the client
 * asked for: `metadata` first; `values`, `updates`, `custom`, `debug`, `tasks`,
 * `checkpoints` as the graph emitted them (interrupts inside them as `__interrupt__`);
 * `messages` as `[chunk, metadata]` tuples for `messages-tuple`, or the legacy
 * `messages/metadata`, `messages/partial`, `messages/complete`; subgraph events as
 * `mode|ns`; `error {error, message}`; `end`. Ids are the run's seq. One mapper per
 * subscriber (the legacy mode accumulates partial messages).
 */
export class PlatformEventMapper {
  private readonly partial = new Map<string, PlainMessage>();
  private readonly completed = new Set<string>();

  constructor(private readonly modes: ReadonlySet<string>) {}

  map(event: RunEvent): MessageEvent[] {
    const id = String(event.seq);
    const named = (mode: string) => (event.ns?.length ? `${mode}|${event.ns.join('|')}` : mode);
    switch (event.event) {
      case 'metadata':
        return [{ id, type: 'metadata', data: serialize({ run_id: event.data.run_id, attempt: event.data.attempt }) }];
      case 'message':
        return this.message(event.data, id, named);
      case 'stream': {
        const out: MessageEvent[] = [];
        if (this.modes.has(event.data.mode)) {
          const payload = event.data.mode === 'debug' ? platformDebugChunk(event.data.payload) : event.data.payload;
          out.push({ id, type: named(event.data.mode), data: serialize(payload) });
        }
        if (event.data.mode === 'values' && this.modes.has('messages')) out.push(...this.completeMessages(event.data.payload, id));
        return out;
      }
      case 'retry':
        // Another replica resumed the run: a custom event, so the SDK passes it on unchanged.
        return [{ id, type: 'custom', data: serialize({ retry: event.data }) }];
      case 'error':
        // A slow reader's stream, or one whose replica goes away, just ends: the SDK sees the
        // run still active and rejoins from its Last-Event-ID, which an `error` event would stop.
        if (event.synthetic && (event.data.code === StreamEndCode.slowConsumer || event.data.code === StreamEndCode.rejoin)) return [];
        return [{ id, type: 'error', data: serialize(platformError(event.data.code, event.data.message, event.data.name)) }];
      case 'end':
        return [{ id, type: 'end', data: 'null' }];
      default:
        // Interrupts reach Platform clients inside `values`/`updates` (`__interrupt__`).
        return [];
    }
  }

  private message(data: MessageEventData, id: string, named: (mode: string) => string): MessageEvent[] {
    // Runs of the simple protocol record text only: such chunks are plain AI chunks.
    const message = data.message ?? ({ type: 'ai', content: data.text, id: undefined } as PlainMessage);
    const out: MessageEvent[] = [];
    if (this.modes.has('messages-tuple')) out.push({ id, type: named('messages'), data: serialize([message, data.metadata]) });
    if (this.modes.has('messages') && message.id) {
      const known = this.partial.get(message.id);
      if (!known) out.push({ id, type: 'messages/metadata', data: serialize({ [message.id]: { metadata: data.metadata } }) });
      const merged = known ? mergeChunk(known, message) : message;
      this.partial.set(message.id, merged);
      out.push({ id, type: data.complete ? 'messages/complete' : 'messages/partial', data: serialize([merged]) });
      if (data.complete) this.completed.add(message.id);
    }
    return out;
  }

  /** Legacy `messages` mode: every message of a `values` chunk, once, as complete. */
  private completeMessages(values: unknown, id: string): MessageEvent[] {
    const messages = (values as { messages?: unknown } | null)?.messages;
    if (!Array.isArray(messages)) return [];
    const fresh = messages.filter((m: { id?: string }) => m?.id && !this.completed.has(m.id));
    for (const m of fresh) this.completed.add(m.id);
    return fresh.length ? [{ id, type: 'messages/complete', data: serialize(fresh) }] : [];
  }
}

function mergeChunk(into: PlainMessage, chunk: PlainMessage): PlainMessage {
  const merged: PlainMessage = { ...into };
  if (typeof into.content === 'string' && typeof chunk.content === 'string') merged.content = into.content + chunk.content;
  if (Array.isArray(chunk.tool_call_chunks) && chunk.tool_call_chunks.length) {
    merged.tool_call_chunks = [...((into.tool_call_chunks as unknown[]) ?? []), ...chunk.tool_call_chunks];
  }
  return merged;
}

/**
 * The Platform API's streams for one subscriber: run events as its SSE events; the
 * heartbeat always a comment (a data frame would reach the SDK as an event of its own,
 * whatever SSE_HEARTBEAT_STYLE says); a failed stream ends with an `error` event, as the
 * official server's do, and no `[DONE]` (which the SDK would read as a `message` event).
 */
export function platformSse(modes: ReadonlySet<string>): SseProtocol {
  const mapper = new PlatformEventMapper(modes);
  return {
    project(event, next) {
      for (const out of mapper.map(event)) next(out);
    },
    heartbeat: () => HEARTBEAT_COMMENT,
    failed: (lastId) => [{ id: lastId, type: 'error', data: serialize({ error: 'internal', message: 'the stream failed' }) }],
  };
}

/** What a Platform client asked to see: its `stream_mode` ("values" when none). */
export function requestedModes(streamMode: string | string[] | undefined): Set<string> {
  const modes = Array.isArray(streamMode) ? streamMode : streamMode ? [streamMode] : [];
  return new Set(modes.length ? modes : ['values']);
}
