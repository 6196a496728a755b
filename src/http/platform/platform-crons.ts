import { randomUUID } from 'node:crypto';
import { HttpException, Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { z } from 'zod';
import type { Principal } from '@riser/auth';
import { CronStore, type CronRecord } from '@riser/persistence';
import { RunError, RunErrorCode, RunService, ThreadService } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { nextRunDate, scheduleProblem } from './cron-schedule.js';
import { CRON_RUN_FIELDS, type CronCreate, type cronPatchSchema, type cronSearchSchema } from './crons.schemas.js';
import { PlatformAssistants } from './platform-assistants.js';
import { PlatformRuns } from './platform-runs.js';
import { runCreateSchema, type RunCreate } from './platform.schemas.js';

/** Crons claimed by one look, at most (the rest wait for the next). */
const CLAIM_AT_ONCE = 20;

/**
 * Crons of the Platform API: each tick of a cron starts an ordinary run (listed, streamable,
 * cancellable like any other) as its creator, on its thread or — stateless — on a new one.
 * Every replica looks for due crons every CRON_POLL_MS; a due cron is claimed in Postgres
 * (`FOR UPDATE SKIP LOCKED`, next run date moved on in the same transaction), so each tick
 * fires exactly once across replicas. A tick is claimed before its run starts: a replica
 * that dies between the two loses that tick (at most once, never twice). Ticks missed while
 * no replica ran are not made up: the next one is computed from now.
 */
@Injectable()
export class PlatformCrons implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PlatformCrons');
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  constructor(
    private readonly crons: CronStore,
    private readonly assistants: PlatformAssistants,
    private readonly platform: PlatformRuns,
    private readonly threads: ThreadService,
    private readonly runs: RunService,
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.tick(), this.config.crons.pollMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }

  async create(principal: Principal, threadId: string | undefined, body: CronCreate) {
    const assistant = await this.assistants.resolve(principal, body.assistant_id);
    if (threadId) await this.threads.writable(principal, threadId);
    const payload = runPayload(body);
    checkSchedule(body.schedule, body.timezone);
    const endTime = body.end_time ? new Date(body.end_time) : null;
    const enabled = body.enabled ?? true;
    const next = nextRunDate(body.schedule, { timezone: body.timezone, endTime });
    const cron = await this.crons.create({
      cronId: randomUUID(),
      tenant: principal.tenant,
      ownerSub: principal.sub,
      assistantId: assistant.assistantId,
      threadId: threadId ?? null,
      schedule: body.schedule,
      timezone: body.timezone ?? null,
      endTime,
      payload,
      metadata: body.metadata ?? {},
      onRunCompleted: body.on_run_completed ?? 'delete',
      enabled: enabled && next !== null,
      nextRunDate: next,
    });
    return toApiCron(cron);
  }

  async update(principal: Principal, cronId: string, body: z.infer<typeof cronPatchSchema>) {
    const current = await this.get(principal, cronId);
    const schedule = body.schedule ?? current.schedule;
    const timezone = body.timezone === undefined ? current.timezone : body.timezone;
    checkSchedule(schedule, timezone);
    const endTime = body.end_time === undefined ? current.endTime : body.end_time ? new Date(body.end_time) : null;
    const payload = { ...current.payload, ...runPayload({ ...body, assistant_id: current.assistantId } as CronCreate, true) };
    const next = nextRunDate(schedule, { timezone, endTime });
    const enabled = (body.enabled ?? current.enabled) && next !== null;
    const updated = await this.crons.update(principal.tenant, cronId, {
      schedule,
      timezone,
      endTime,
      payload,
      metadata: body.metadata ? { ...current.metadata, ...body.metadata } : current.metadata,
      onRunCompleted: body.on_run_completed ?? current.onRunCompleted,
      enabled,
      nextRunDate: next,
    });
    if (!updated) throw cronNotFound(cronId);
    return toApiCron(updated);
  }

  async delete(principal: Principal, cronId: string): Promise<void> {
    if (!(await this.crons.delete(principal.tenant, cronId))) throw cronNotFound(cronId);
  }

  async search(principal: Principal, query: z.infer<typeof cronSearchSchema>) {
    const crons = await this.crons.search(principal.tenant, {
      assistantId: query.assistant_id && (await this.assistantKey(principal, query.assistant_id)),
      threadId: query.thread_id,
      enabled: query.enabled,
      metadata: query.metadata,
      limit: query.limit,
      offset: query.offset,
      sortBy: query.sort_by,
      sortOrder: query.sort_order,
    });
    const shaped = crons.map(toApiCron);
    return query.select ? shaped.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => query.select!.includes(k)))) : shaped;
  }

  async count(principal: Principal, query: { assistant_id?: string; thread_id?: string; metadata?: Record<string, unknown> }): Promise<number> {
    return this.crons.count(principal.tenant, {
      assistantId: query.assistant_id && (await this.assistantKey(principal, query.assistant_id)),
      threadId: query.thread_id,
      metadata: query.metadata,
    });
  }

  /** Fires the crons that are due (each claimed once across replicas); exposed for tests. */
  tick(): Promise<void> {
    if (this.ticking || !this.runs.isAccepting) return this.ticking ?? Promise.resolve();
    this.ticking = this.fireDue().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async fireDue(): Promise<void> {
    try {
      const due = await this.crons.claimDue(CLAIM_AT_ONCE, (cron) => {
        try {
          return nextRunDate(cron.schedule, { timezone: cron.timezone, endTime: cron.endTime });
        } catch {
          return null;
        }
      });
      for (const cron of due) await this.fire(cron);
    } catch (err) {
      this.logger.warn({ msg: 'looking for due crons failed', err: (err as Error).message });
    }
  }

  /** One tick: an ordinary run, started as the cron's creator. */
  private async fire(cron: CronRecord): Promise<void> {
    const principal: Principal = { sub: cron.ownerSub, tenant: cron.tenant, roles: [], via: 'jwt' };
    const body = { ...cron.payload, assistant_id: cron.assistantId, metadata: { ...cron.metadata, cron_id: cron.cronId }, on_completion: cron.onRunCompleted } as RunCreate;
    try {
      const { run } = await this.platform.start(principal, cron.threadId ?? undefined, body);
      await this.crons.recordRun(cron.cronId, run.runId);
      this.logger.log({ msg: 'cron fired', cron_id: cron.cronId, run_id: run.runId, thread_id: run.threadId });
    } catch (err) {
      // A busy thread (multitask_strategy reject), a deleted assistant, the tenant's cap: this tick is skipped.
      this.logger.warn({ msg: 'cron tick skipped', cron_id: cron.cronId, err: (err as Error).message });
    }
  }

  private async assistantKey(principal: Principal, assistantId: string): Promise<string> {
    return this.assistants.resolve(principal, assistantId).then(
      (a) => a.assistantId,
      () => assistantId,
    );
  }

  private async get(principal: Principal, cronId: string): Promise<CronRecord> {
    const cron = await this.crons.get(principal.tenant, cronId);
    if (!cron) throw cronNotFound(cronId);
    return cron;
  }
}

/** The run body a cron's ticks start, checked as a run body now rather than at its first tick. */
function runPayload(body: CronCreate, partial = false): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const field of CRON_RUN_FIELDS) if (body[field] != null) payload[field] = body[field];
  if (!partial || Object.keys(payload).length) {
    const checked = runCreateSchema.safeParse({ ...payload, assistant_id: body.assistant_id });
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      const field = [...issue.path, ...(unknownKey ? [unknownKey] : [])].join('.') || 'body';
      throw new HttpException({ error: 'invalid_request', message: `${field}: ${issue.message}`, field }, 422);
    }
  }
  return payload;
}

function checkSchedule(schedule: string, timezone: string | null | undefined): void {
  const problem = scheduleProblem(schedule, timezone);
  if (problem) throw new HttpException({ error: 'invalid_request', message: problem.message, field: problem.field }, 422);
}

function cronNotFound(cronId: string): RunError {
  return new RunError(RunErrorCode.cronNotFound, `cron ${cronId} not found`);
}

function toApiCron(cron: CronRecord) {
  return {
    cron_id: cron.cronId,
    assistant_id: cron.assistantId,
    thread_id: cron.threadId,
    on_run_completed: cron.onRunCompleted,
    end_time: cron.endTime?.toISOString() ?? null,
    schedule: cron.schedule,
    timezone: cron.timezone,
    created_at: cron.createdAt.toISOString(),
    updated_at: cron.updatedAt.toISOString(),
    payload: cron.payload,
    user_id: cron.ownerSub,
    next_run_date: cron.nextRunDate?.toISOString() ?? null,
    metadata: cron.metadata,
    enabled: cron.enabled,
  };
}
