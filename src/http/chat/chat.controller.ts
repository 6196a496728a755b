import { randomUUID } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, HttpException, Inject, Query, Res, RequestMethod, Sse, type MessageEvent } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { AllowQueryToken, CurrentPrincipal, type Principal } from '@riser/auth';
import { ApprovalService, RunError, RunErrorCode, RunService } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { RateLimited } from '../../rate-limit/rate-limit.guard.js';
import { SseFraming } from '../sse/sse-framing.js';
import { assertMessageSize } from '../../validation/message-size.js';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { chatStreamBodySchema, rejoinQuerySchema, type ChatStreamBody, type RejoinQuery } from './chat.schemas.js';
import { simpleSse } from './simple-protocol.js';
/** The simple protocol's streams: `POST /chat/stream` (new message or decision) and rejoin. */
@Controller('chat')
export class ChatController {
  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly runs: RunService,
    private readonly approvals: ApprovalService,
    private readonly sse: SseFraming,
  ) {}

  /**
   * Starts a run and streams it. Errors before the run exists (bad body, unknown thread,
   * busy thread) are HTTP errors; the 200 and the headers go out with the first frame.
   */
  @Sse('stream', { method: RequestMethod.POST })
  @RateLimited()
  @HttpCode(200)
  async stream(
    @Body(new ZodPipe(chatStreamBodySchema)) body: ChatStreamBody,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Observable<MessageEvent>> {
    if (body.resume) {
      const { interrupt_id, ...decision } = body.resume;
      const resumed = await this.approvals.decide(principal, body.thread_id!, interrupt_id, decision);
      return this.sse.follow(resumed, reply.raw, 0, simpleSse, { protocol: 'simple' });
    }
    const message = body.message!;
    assertMessageSize(message, this.config.http.maxMessageBytes);
    const run = await this.runs.start(principal, {
      threadId: body.thread_id,
      assistantId: body.assistant_id,
      input: { messages: [{ role: 'user', content: message, id: randomUUID() }] },
      messages: 'text',
      protocol: 'simple',
      timeoutMs: body.timeout_ms,
      onDisconnect: body.on_disconnect,
      multitaskStrategy: body.multitask_strategy,
      config: body.config,
    });
    return this.sse.follow(run, reply.raw, 0, simpleSse, { protocol: 'simple' });
  }

  /**
   * Rejoins a run (an EventSource reconnecting, another tab, another transport's run):
   * frames after `Last-Event-ID` (header, or `last_event_id` for clients that cannot set
   * it), then live, then `[DONE]`. The one route family that accepts `access_token`.
   */
  @Sse('stream')
  @AllowQueryToken()
  async rejoin(
    @Query(new ZodPipe(rejoinQuerySchema)) query: RejoinQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Observable<MessageEvent>> {
    const cursor = lastEventId ?? query.last_event_id;
    if (cursor !== undefined && !/^\d+$/.test(cursor)) {
      throw new RunError(RunErrorCode.invalidRequest, 'Last-Event-ID: must be a non-negative integer', { field: 'last-event-id' });
    }
    const run = await this.runs.locate(principal, query.thread_id, query.run_id);
    const after = cursor === undefined ? 0 : Number(cursor);
    // Nothing after the end: 204 tells an EventSource to stop reconnecting.
    if (run.isEnded && run.lastSeq !== undefined && after >= run.lastSeq) throw new HttpException('', 204);
    return this.sse.follow(run, reply.raw, after, simpleSse, { protocol: 'simple', rejoin: true });
  }
}
