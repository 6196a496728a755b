import { Body, Controller, Delete, HttpCode, Param, Patch, Post, UseInterceptors } from '@nestjs/common';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { cronCountSchema, cronCreateSchema, cronParam, cronPatchSchema, cronSearchSchema, type CronCreate } from './crons.schemas.js';
import { PlatformCrons } from './platform-crons.js';
import { PlatformJsonInterceptor } from './platform-json.interceptor.js';
import { threadParam } from './platform.schemas.js';

const create = new ZodPipe(cronCreateSchema, 422);

/** LangGraph Platform API crons: create (stateless or on a thread), update, search, count, delete. */
@Controller()
@UseInterceptors(PlatformJsonInterceptor)
export class CronsController {
  constructor(private readonly crons: PlatformCrons) {}

  @Post('runs/crons')
  @HttpCode(200)
  create(@Body(create) body: CronCreate, @CurrentPrincipal() principal: Principal) {
    return this.crons.create(principal, undefined, body);
  }

  @Post('threads/:thread_id/runs/crons')
  @HttpCode(200)
  createForThread(@Param(new ZodPipe(threadParam, 422)) params: { thread_id: string }, @Body(create) body: CronCreate, @CurrentPrincipal() principal: Principal) {
    return this.crons.create(principal, params.thread_id, body);
  }

  @Post('runs/crons/search')
  @HttpCode(200)
  search(@Body(new ZodPipe(cronSearchSchema, 422)) body: z.infer<typeof cronSearchSchema>, @CurrentPrincipal() principal: Principal) {
    return this.crons.search(principal, body);
  }

  @Post('runs/crons/count')
  @HttpCode(200)
  count(@Body(new ZodPipe(cronCountSchema, 422)) body: z.infer<typeof cronCountSchema>, @CurrentPrincipal() principal: Principal) {
    return this.crons.count(principal, body);
  }

  @Patch('runs/crons/:cron_id')
  update(@Param(new ZodPipe(cronParam, 422)) params: { cron_id: string }, @Body(new ZodPipe(cronPatchSchema, 422)) body: z.infer<typeof cronPatchSchema>, @CurrentPrincipal() principal: Principal) {
    return this.crons.update(principal, params.cron_id, body);
  }

  @Delete('runs/crons/:cron_id')
  @HttpCode(204)
  async delete(@Param(new ZodPipe(cronParam, 422)) params: { cron_id: string }, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.crons.delete(principal, params.cron_id);
  }
}
