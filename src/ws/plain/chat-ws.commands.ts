import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import { ApprovalService, RunService, type RunHandle } from '@riser/run-core';
import { RateLimitedError } from '../../rate-limit/rate-limit.guard.js';
import { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { ClientCommand, Ref } from './chat-ws.messages.js';

/** How a command answers on its connection. */
export interface ChatWsReply {
  /** A run this command started: its frames from `{thread_id, run_id}` on. */
  stream(run: RunHandle, ref?: Ref): void;
  /** A run to follow after a client's cursor (a rejoin). */
  rejoin(run: RunHandle, afterSeq: number, ref?: Ref): void;
  /** One frame that is not a run's. */
  answer(payload: Record<string, unknown>, ref?: Ref): void;
}

/**
 * The client commands of `/chat/ws`, on the one run core: start (the seed's message),
 * subscribe, approve, cancel — what Socket.IO's `chat`, `subscribe`, `approve` and `cancel`
 * do, with the same services, errors and rate limit (starts and decisions count against
 * RATE_LIMIT_PER_MINUTE, HTTP and sockets together).
 */
@Injectable()
export class ChatWsCommands {
  constructor(
    private readonly runs: RunService,
    private readonly approvals: ApprovalService,
    private readonly limiter: RateLimiter,
  ) {}

  async execute(principal: Principal, command: ClientCommand, reply: ChatWsReply, ref?: Ref): Promise<void> {
    switch (command.type) {
      case 'message': {
        await this.consume(principal);
        const { message, thread_id, assistant_id, multitask_strategy } = command.body;
        const run = await this.runs.start(principal, {
          threadId: thread_id,
          assistantId: assistant_id,
          input: { messages: [{ role: 'user', content: message, id: randomUUID() }] },
          messages: 'text',
          protocol: 'ws',
          multitaskStrategy: multitask_strategy,
        });
        return reply.stream(run, ref);
      }
      case 'approve': {
        await this.consume(principal);
        const { thread_id, interrupt_id, ...decision } = command.body;
        return reply.stream(await this.approvals.decide(principal, thread_id, interrupt_id, decision), ref);
      }
      case 'subscribe': {
        const { thread_id, run_id, after_seq } = command.body;
        return reply.rejoin(await this.runs.locate(principal, thread_id, run_id), after_seq ?? 0, ref);
      }
      case 'cancel': {
        const run = await this.runs.cancel(principal, command.body.thread_id, command.body.run_id);
        return reply.answer({ cancelled: true, thread_id: run.threadId, run_id: run.runId, status: 'cancelled' }, ref);
      }
    }
  }

  private async consume(principal: Principal): Promise<void> {
    const verdict = await this.limiter.consume(principal);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSec);
  }
}
