import type { MessageEvent } from '@nestjs/common';
import type { RunEvent } from '@riser/run-core';

/** A comment-only event: Nest writes it as `: heartbeat`, with no id. */
export const HEARTBEAT_COMMENT = { comment: 'heartbeat' } as MessageEvent;

/**
 * How one wire protocol frames a stream, on every path the framing operator takes: the
 * run's events, the heartbeat while idle, and the end of a stream that failed after it
 * began. Each protocol says it in its own words (the simple protocol's `{error}` then
 * `[DONE]`, the Platform API's `error` event), never one protocol's frames on another's.
 */
export interface SseProtocol {
  /** Turns a run event into zero or more frames (may keep state: one per subscriber). */
  project(event: RunEvent, next: (message: MessageEvent) => void): void;
  /** The idle heartbeat; `lastId` is the id of the last real frame. */
  heartbeat(lastId: string, style: 'comment' | 'data'): MessageEvent;
  /** The last frames of a stream that failed after its first frame. */
  failed(lastId: string): MessageEvent[];
}
