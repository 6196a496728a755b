import { randomUUID } from 'node:crypto';
import { UseInterceptors, Body, Controller, Delete, Get, HttpCode, HttpException, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { RunError, RunErrorCode, ThreadService } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { mapBounded, pageLimit } from './page-limit.js';
import { PlatformJsonInterceptor } from './platform-json.interceptor.js';
import { toPlatformThread, toThreadState } from './platform-shapes.js';
import {
  checkpointParam as checkpointParamSchema,
  historyQuery as historyQuerySchema,
  historySchema,
  stateAtCheckpointSchema,
  stateQuery as stateQuerySchema,
  stateUpdateSchema,
  threadCreateSchema,
  threadParam,
  threadPatchSchema,
  threadSearchSchema,
} from './platform.schemas.js';
import { superstepsSchema } from './threads-extra.schemas.js';

const param = new ZodPipe(threadParam, 422);
const checkpointParam = new ZodPipe(checkpointParamSchema, 422);
const stateQuery = new ZodPipe(stateQuerySchema, 422);
const historyQuery = new ZodPipe(historyQuerySchema, 422);
/** Checkpoint reads of one search page running at once (each takes a pool connection). */
const STATE_READS_AT_ONCE = 4;

/** LangGraph Platform API threads: create, read, search, patch, delete; state and history. */
@Controller('threads')
@UseInterceptors(PlatformJsonInterceptor)
export class PlatformThreadsController {
  constructor(
    private readonly threads: ThreadService,
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
  ) {}

  @Post()
  @HttpCode(200)
  async create(@Body(new ZodPipe(threadCreateSchema, 422)) body: z.infer<typeof threadCreateSchema>, @CurrentPrincipal() principal: Principal) {
    const supersteps = body.supersteps === undefined ? undefined : parseSupersteps(body.supersteps);
    const thread = await this.threads.create(principal, body.thread_id ?? randomUUID(), body.metadata ?? {}, body.if_exists ?? 'raise');
    if (supersteps?.length) {
      // The new thread's history, superstep by superstep, as the official server builds it;
      // updates the graph refuses leave no thread behind.
      await this.threads.applySupersteps(principal, thread.threadId, supersteps).catch(async (err) => {
        await this.threads.delete(principal, thread.threadId).catch(() => undefined);
        throw asPlatformError(err);
      });
    }
    return toPlatformThread(thread, await this.threads.state(thread));
  }

  /** A new thread of the caller's with the source's metadata and whole checkpoint history. */
  @Post(':thread_id/copy')
  @HttpCode(200)
  async copy(@Param(param) params: { thread_id: string }, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.copy(principal, params.thread_id, randomUUID());
    return toPlatformThread(thread, await this.threads.state(thread));
  }

  @Post('search')
  @HttpCode(200)
  async search(@Body(new ZodPipe(threadSearchSchema, 422)) body: z.infer<typeof threadSearchSchema>, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    const found = await this.threads.search(principal, {
      ids: body.ids,
      metadata: body.metadata,
      status: body.status,
      limit: pageLimit(body.limit, this.config.http.maxPageSize),
      offset: body.offset,
      sortBy: body.sort_by === 'state_updated_at' ? 'updated_at' : body.sort_by,
      sortOrder: body.sort_order,
    });
    // One checkpoint read per thread of the page (capped by MAX_PAGE_SIZE, a few at a
    // time), and none at all when the client selected no field of the state.
    const needsState = !body.select || body.select.includes('values') || body.select.includes('interrupts') || !!body.values;
    const threads = await mapBounded(found, STATE_READS_AT_ONCE, async (t) => toPlatformThread(t, needsState ? await this.threads.state(t) : undefined));
    const matching = body.values ? threads.filter((t) => matches((t as { values?: unknown }).values, body.values!)) : threads;
    if (found.length === body.limit) reply.header('X-Pagination-Next', String(body.offset + body.limit));
    return body.select ? matching.map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => body.select!.includes(k)))) : matching;
  }

  @Get(':thread_id')
  async get(@Param(param) params: { thread_id: string }, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.readable(principal, params.thread_id);
    return toPlatformThread(thread, await this.threads.state(thread));
  }

  @Patch(':thread_id')
  async patch(@Param(param) params: { thread_id: string }, @Body(new ZodPipe(threadPatchSchema, 422)) body: z.infer<typeof threadPatchSchema>, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.patch(principal, params.thread_id, body.metadata);
    return toPlatformThread(thread, await this.threads.state(thread));
  }

  @Delete(':thread_id')
  @HttpCode(204)
  async delete(@Param(param) params: { thread_id: string }, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.threads.delete(principal, params.thread_id);
  }

  @Get(':thread_id/state')
  async state(@Param(param) params: { thread_id: string }, @Query(stateQuery) query: { subgraphs?: string }, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.readable(principal, params.thread_id);
    return toThreadState(await this.threads.state(thread, {}, isTrue(query.subgraphs)), thread.threadId);
  }

  @Post(':thread_id/state/checkpoint')
  @HttpCode(200)
  async stateAt(@Param(param) params: { thread_id: string }, @Body(new ZodPipe(stateAtCheckpointSchema, 422)) body: z.infer<typeof stateAtCheckpointSchema>, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.readable(principal, params.thread_id);
    const { thread_id: _ignored, ...checkpoint } = body.checkpoint;
    return toThreadState(await this.threads.state(thread, checkpoint, body.subgraphs ?? false), thread.threadId);
  }

  @Get(':thread_id/state/:checkpoint_id')
  async stateById(@Param(checkpointParam) params: { thread_id: string; checkpoint_id: string }, @Query(stateQuery) query: { subgraphs?: string }, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.readable(principal, params.thread_id);
    return toThreadState(await this.threads.state(thread, { checkpoint_id: params.checkpoint_id }, isTrue(query.subgraphs)), thread.threadId);
  }

  @Post(':thread_id/state')
  @HttpCode(200)
  async update(@Param(param) params: { thread_id: string }, @Body(new ZodPipe(stateUpdateSchema, 422)) body: z.infer<typeof stateUpdateSchema>, @CurrentPrincipal() principal: Principal) {
    const checkpoint = { ...body.checkpoint, ...(body.checkpoint_id && { checkpoint_id: body.checkpoint_id }) };
    delete (checkpoint as { thread_id?: string }).thread_id;
    const configurable = await this.threads.updateState(principal, params.thread_id, body.values, { asNode: body.as_node, checkpoint });
    return {
      checkpoint: {
        thread_id: params.thread_id,
        checkpoint_ns: configurable.checkpoint_ns ?? '',
        checkpoint_id: configurable.checkpoint_id ?? null,
        checkpoint_map: configurable.checkpoint_map ?? null,
      },
    };
  }

  @Get(':thread_id/history')
  async historyGet(@Param(param) params: { thread_id: string }, @Query(historyQuery) query: z.infer<typeof historyQuerySchema>, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.readable(principal, params.thread_id);
    const metadata = query.metadata === undefined ? undefined : jsonObject(query.metadata, 'metadata');
    const states = await this.threads.history(thread, { limit: pageLimit(query.limit, this.config.http.maxPageSize), before: query.before, metadata });
    return states.map((s) => toThreadState(s, thread.threadId));
  }

  @Post(':thread_id/history')
  @HttpCode(200)
  async history(@Param(param) params: { thread_id: string }, @Body(new ZodPipe(historySchema, 422)) body: z.infer<typeof historySchema>, @CurrentPrincipal() principal: Principal) {
    const thread = await this.threads.readable(principal, params.thread_id);
    const before = typeof body.before === 'string' ? body.before : checkpointIdOf(body.before);
    const { thread_id: _ignored, ...checkpoint } = body.checkpoint ?? {};
    const limit = pageLimit(body.limit, this.config.http.maxPageSize);
    const states = await this.threads.history(thread, { limit, before, metadata: body.metadata ?? undefined, checkpoint });
    return states.map((s) => toThreadState(s, thread.threadId));
  }
}

/** `before` as a config (`{configurable: {checkpoint_id}}`) or as a Checkpoint (`{checkpoint_id}`). */
function checkpointIdOf(before: { configurable?: Record<string, unknown>; checkpoint_id?: string | null } | null | undefined): string | undefined {
  const id = before?.configurable?.checkpoint_id ?? before?.checkpoint_id;
  return typeof id === 'string' && id ? id : undefined;
}

function jsonObject(text: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpException({ error: 'invalid_request', message: `${field}: must be a JSON object`, field }, 422);
  }
  return value as Record<string, unknown>;
}

function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

/** Thread search's `values` filter: every key given is equal in the thread's values. */
function matches(values: unknown, filter: Record<string, unknown>): boolean {
  if (!values || typeof values !== 'object') return false;
  return Object.entries(filter).every(([key, expected]) => JSON.stringify((values as Record<string, unknown>)[key]) === JSON.stringify(expected));
}

function parseSupersteps(value: unknown[]) {
  const result = superstepsSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = ['supersteps', ...issue.path].join('.');
    throw new HttpException({ error: 'invalid_request', message: `${field}: ${issue.message}`, field }, 422);
  }
  return result.data.map((step) => ({ updates: step.updates.map((u) => ({ values: u.values, command: u.command ?? undefined, asNode: u.as_node })) }));
}

/** The Platform API's validation status for a refused update (the run core says 400). */
function asPlatformError(err: unknown): unknown {
  if (err instanceof RunError && err.code === RunErrorCode.invalidRequest) {
    return new HttpException({ error: 'invalid_request', message: err.message, ...err.details }, 422);
  }
  return err;
}
