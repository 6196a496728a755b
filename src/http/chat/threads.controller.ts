import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { ApprovalService, RunService, ThreadService, type ThreadView } from '@riser/run-core';
import { RateLimited } from '../../rate-limit/rate-limit.guard.js';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { approvalParamsSchema, decisionSchema, runParamsSchema, threadParamsSchema } from './chat.schemas.js';
import type { z } from 'zod';

/** Threads of the simple protocol: read one, decide its interrupts, cancel its run. */
@Controller('chat/threads')
export class ThreadsController {
  constructor(
    private readonly threads: ThreadService,
    private readonly approvals: ApprovalService,
    private readonly runs: RunService,
  ) {}

  @Get(':thread_id')
  thread(@Param(new ZodPipe(threadParamsSchema)) params: { thread_id: string }, @CurrentPrincipal() principal: Principal): Promise<ThreadView> {
    return this.threads.view(principal, params.thread_id);
  }

  /** Decides an interrupt without a socket: 202 with the run that resumes the graph. */
  @Post(':thread_id/approvals/:interrupt_id')
  @RateLimited()
  @HttpCode(202)
  async decide(
    @Param(new ZodPipe(approvalParamsSchema)) params: z.infer<typeof approvalParamsSchema>,
    @Body(new ZodPipe(decisionSchema)) body: z.infer<typeof decisionSchema>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const run = await this.approvals.decide(principal, params.thread_id, params.interrupt_id, body);
    return { run_id: run.runId, thread_id: run.threadId };
  }

  /** Cancels a running run; answers once it has stopped. */
  @Post(':thread_id/runs/:run_id/cancel')
  @HttpCode(200)
  async cancel(@Param(new ZodPipe(runParamsSchema)) params: z.infer<typeof runParamsSchema>, @CurrentPrincipal() principal: Principal) {
    const run = await this.runs.cancel(principal, params.thread_id, params.run_id);
    return { run_id: run.runId, thread_id: run.threadId, status: 'cancelled' };
  }
}
