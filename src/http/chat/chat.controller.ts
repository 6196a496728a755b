import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, HttpException, Inject, Param, Req, RequestMethod, Sse, type MessageEvent } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { RunService, ThreadService, type ThreadView } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { SseFraming } from '../sse/sse-framing.js';
import { socketFlowControl } from '../sse/socket-flow-control.js';
import { ZodPipe } from '../validation/zod.pipe.js';
import { chatStreamBodySchema, threadParamsSchema, type ChatStreamBody } from './chat.schemas.js';
import { toSimpleSse } from './simple-protocol.js';
/** The simple protocol: `POST /chat/stream` and the thread it writes to. */
@Controller('chat')
export class ChatController {
  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly runs: RunService,
    private readonly threads: ThreadService,
    private readonly sse: SseFraming,
  ) {}

  /**
   * Starts a run and streams it. Errors before the run exists (bad body, unknown thread,
   * busy thread) are HTTP errors; the 200 and the headers go out with the first frame.
   */
  @Sse('stream', { method: RequestMethod.POST })
  @HttpCode(200)
  async stream(
    @Body(new ZodPipe(chatStreamBodySchema)) body: ChatStreamBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
  ): Promise<Observable<MessageEvent>> {
    if (Buffer.byteLength(body.message, 'utf8') > this.config.http.maxMessageBytes) {
      throw new HttpException(
        { error: 'message_too_large', message: `message is larger than ${this.config.http.maxMessageBytes} bytes` },
        413,
      );
    }
    const run = await this.runs.start(principal, {
      threadId: body.thread_id,
      assistantId: body.assistant_id,
      input: { messages: [{ role: 'user', content: body.message, id: randomUUID() }] },
      messages: 'text',
      timeoutMs: body.timeout_ms,
    });
    const socket = req.raw.socket;
    const events = run.subscribe({
      flow: socketFlowControl(socket),
      maxLagEvents: this.config.sse.maxLagEvents,
      maxLagBytes: this.config.sse.maxBufferedBytes,
    });
    return this.sse.frame(socket, toSimpleSse(events));
  }

  @Get('threads/:thread_id')
  thread(
    @Param(new ZodPipe(threadParamsSchema)) params: { thread_id: string },
    @CurrentPrincipal() principal: Principal,
  ): Promise<ThreadView> {
    return this.threads.view(principal, params.thread_id);
  }
}
