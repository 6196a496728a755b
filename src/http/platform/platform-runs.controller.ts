import { Body, Controller, Delete, Get, Headers, HttpCode, HttpException, Inject, Param, Post, Query, Res, RequestMethod, Sse, UseInterceptors, type MessageEvent } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { RunError, RunErrorCode, RunService, ThreadService, type RunHandle, type RunStatus } from '@riser/run-core';
import type { RunRecord } from '@riser/persistence';
import { RateLimited } from '../../rate-limit/rate-limit.guard.js';
import { SseFraming } from '../sse/sse-framing.js';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { pageLimit } from './page-limit.js';
import { PlatformJsonInterceptor } from './platform-json.interceptor.js';
import { PlatformRuns } from './platform-runs.js';
import { platformSse, requestedModes } from './platform-protocol.js';
import { toPlatformRun } from './platform-shapes.js';
import { cancelQuery, joinQuery, listRunsQuery, runCreateSchema, runParam, threadParam, type RunCreate } from './platform.schemas.js';

const body = new ZodPipe(runCreateSchema, 422);
const ALL_MODES = new Set(['values', 'updates', 'messages-tuple', 'custom', 'debug', 'tasks', 'checkpoints']);
const OFFICIAL_STATUS: Record<string, RunStatus[]> = {
  pending: ['pending'],
  running: ['running'],
  success: ['success', 'interrupted'],
  error: ['error'],
  timeout: ['timeout'],
  interrupted: ['cancelled', 'interrupted'],
};

/** LangGraph Platform API runs: stream, background, wait, join, cancel, list, delete. */
@Controller()
export class PlatformRunsController {
  constructor(
    private readonly platform: PlatformRuns,
    private readonly runs: RunService,
    private readonly threads: ThreadService,
    private readonly sse: SseFraming,
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
  ) {}

  @Sse('threads/:thread_id/runs/stream', { method: RequestMethod.POST })
  @RateLimited()
  @HttpCode(200)
  async stream(
    @Param(new ZodPipe(threadParam, 422)) params: { thread_id: string },
    @Body(body) payload: RunCreate,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Observable<MessageEvent>> {
    const { run, modes } = await this.start(principal, params.thread_id, payload, reply);
    // Location lets the SDK reconnect by itself (GET …/stream with Last-Event-ID).
    reply.header('Location', `/threads/${run.threadId}/runs/${run.runId}/stream`);
    return this.sse.follow(run, reply.raw, 0, platformSse(modes), { protocol: 'platform' });
  }

  @Sse('runs/stream', { method: RequestMethod.POST })
  @RateLimited()
  @HttpCode(200)
  async statelessStream(@Body(body) payload: RunCreate, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    const { run, modes } = await this.start(principal, undefined, payload, reply);
    return this.sse.follow(run, reply.raw, 0, platformSse(modes), { protocol: 'platform' });
  }

  @Post('threads/:thread_id/runs')
  @RateLimited()
  @UseInterceptors(PlatformJsonInterceptor)
  @HttpCode(200)
  async create(
    @Param(new ZodPipe(threadParam, 422)) params: { thread_id: string },
    @Body(body) payload: RunCreate,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { run } = await this.start(principal, params.thread_id, payload, reply);
    return toPlatformRun(run.record);
  }

  @Post('threads/:thread_id/runs/wait')
  @RateLimited()
  @UseInterceptors(PlatformJsonInterceptor)
  @HttpCode(200)
  async wait(
    @Param(new ZodPipe(threadParam, 422)) params: { thread_id: string },
    @Body(body) payload: RunCreate,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { run } = await this.start(principal, params.thread_id, payload, reply);
    return this.platform.result(principal, run);
  }

  @Post('runs/wait')
  @RateLimited()
  @UseInterceptors(PlatformJsonInterceptor)
  @HttpCode(200)
  async statelessWait(@Body(body) payload: RunCreate, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    const { run } = await this.start(principal, undefined, { ...payload, on_completion: 'keep' }, reply);
    const result = await this.platform.result(principal, run);
    if ((payload.on_completion ?? 'delete') === 'delete') await this.threads.delete(principal, run.threadId).catch(() => undefined);
    return result;
  }

  @Get('threads/:thread_id/runs')
  @UseInterceptors(PlatformJsonInterceptor)
  async list(
    @Param(new ZodPipe(threadParam, 422)) params: { thread_id: string },
    @Query(new ZodPipe(listRunsQuery, 422)) query: z.infer<typeof listRunsQuery>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const thread = await this.threads.readable(principal, params.thread_id);
    const status = query.status ? OFFICIAL_STATUS[query.status] ?? [] : undefined;
    const runs = await this.threads.runs(thread.threadId, { limit: pageLimit(query.limit, this.config.http.maxPageSize), offset: query.offset, status });
    return runs.map(toPlatformRun);
  }

  @Get('threads/:thread_id/runs/:run_id')
  @UseInterceptors(PlatformJsonInterceptor)
  async get(@Param(new ZodPipe(runParam, 422)) params: z.infer<typeof runParam>, @CurrentPrincipal() principal: Principal) {
    return toPlatformRun(await this.record(principal, params.thread_id, params.run_id));
  }

  /** Waits for the run to end and answers the thread's values. */
  @Get('threads/:thread_id/runs/:run_id/join')
  @UseInterceptors(PlatformJsonInterceptor)
  async join(
    @Param(new ZodPipe(runParam, 422)) params: z.infer<typeof runParam>,
    @Query(new ZodPipe(joinQuery, 422)) query: z.infer<typeof joinQuery>,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const run = await this.runs.locate(principal, params.thread_id, params.run_id);
    if (isTrue(query.cancel_on_disconnect)) this.cancelOnDisconnect(principal, run, reply);
    if (!run.isEnded) return this.platform.result(principal, run);
    const thread = await this.threads.readable(principal, params.thread_id);
    return (await this.threads.state(thread))?.values ?? null;
  }

  /**
   * Joins a run's stream as the official server does: without `Last-Event-ID`, only what
   * happens after the join (its output is not buffered for late joiners); `-1` replays the
   * run from its start; an id replays after it. (The simple protocol's rejoin keeps its
   * documented from-the-start default.)
   */
  @Sse('threads/:thread_id/runs/:run_id/stream')
  async joinStream(
    @Param(new ZodPipe(runParam, 422)) params: z.infer<typeof runParam>,
    @Query('stream_mode') streamMode: string | string[] | undefined,
    @Query(new ZodPipe(joinQuery, 422)) query: z.infer<typeof joinQuery>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Observable<MessageEvent>> {
    if (lastEventId !== undefined && !/^(-1|\d+)$/.test(lastEventId)) {
      throw new HttpException({ error: 'invalid_request', message: 'Last-Event-ID: must be -1 or a non-negative integer', field: 'last-event-id' }, 422);
    }
    const run = await this.runs.locate(principal, params.thread_id, params.run_id);
    if (isTrue(query.cancel_on_disconnect)) this.cancelOnDisconnect(principal, run, reply);
    if (lastEventId === undefined) {
      // From now on, wherever the run executes: an empty stream (200) for a run that has already ended.
      return this.joined(run, streamMode, reply, 'live');
    }
    const after = lastEventId === '-1' ? 0 : Number(lastEventId);
    if (run.isEnded && run.lastSeq !== undefined && after >= run.lastSeq) throw new HttpException('', 204);
    return this.joined(run, streamMode, reply, after);
  }

  private joined(run: RunHandle, streamMode: string | string[] | undefined, reply: FastifyReply, after: number | 'live'): Observable<MessageEvent> {
    const modes = streamMode ? requestedModes(streamMode) : this.modesOf(run);
    reply.header('Content-Location', `/threads/${run.threadId}/runs/${run.runId}`);
    reply.header('Location', `/threads/${run.threadId}/runs/${run.runId}/stream`);
    return this.sse.follow(run, reply.raw, after, platformSse(modes), { protocol: 'platform', rejoin: true });
  }

  @Post('threads/:thread_id/runs/:run_id/cancel')
  async cancel(
    @Param(new ZodPipe(runParam, 422)) params: z.infer<typeof runParam>,
    @Query(new ZodPipe(cancelQuery, 422)) query: z.infer<typeof cancelQuery>,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const wait = query.wait === '1' || query.wait === 'true';
    await this.runs.cancel(principal, params.thread_id, params.run_id, { action: query.action, wait });
    reply.status(wait ? 204 : 202);
    return undefined;
  }

  @Delete('threads/:thread_id/runs/:run_id')
  async delete(@Param(new ZodPipe(runParam, 422)) params: z.infer<typeof runParam>, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.threads.writable(principal, params.thread_id);
    const run = await this.record(principal, params.thread_id, params.run_id);
    if (!(await this.threads.deleteRun(run.runId))) throw new RunError(RunErrorCode.runActive, `run ${run.runId} is still active; cancel it first`);
    reply.status(204);
    return undefined;
  }

  /** Starts a run and says where it lives (`Content-Location`), as the official server does. */
  private async start(principal: Principal, threadId: string | undefined, payload: RunCreate, reply: FastifyReply) {
    const started = await this.platform.start(principal, threadId, payload);
    const { run } = started;
    reply.header('Content-Location', threadId ? `/threads/${run.threadId}/runs/${run.runId}` : `/runs/${run.runId}`);
    return started;
  }

  private async record(principal: Principal, threadId: string, runId: string): Promise<RunRecord> {
    await this.threads.readable(principal, threadId);
    const run = await this.threads.run(runId);
    if (!run || run.threadId !== threadId) throw new RunError(RunErrorCode.runNotFound, `run ${runId} not found on thread ${threadId}`);
    return run;
  }

  /** `cancel_on_disconnect`: a client that leaves a join before the run ends cancels it. */
  private cancelOnDisconnect(principal: Principal, run: RunHandle, reply: FastifyReply): void {
    if (run.isEnded) return;
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished || run.isEnded) return;
      this.runs.cancel(principal, run.threadId, run.runId, { wait: false }).catch(() => undefined);
    });
  }

  private modesOf(run: RunHandle): Set<string> {
    const modes = run.clientModes;
    return modes ? new Set(modes) : ALL_MODES;
  }
}

function isTrue(value: string | undefined): boolean {
  return value === '1' || value?.toLowerCase() === 'true';
}
