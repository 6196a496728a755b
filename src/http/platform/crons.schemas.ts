import { z } from 'zod';

/** Crons as SDK 1.x creates and searches them. Strict: a field nobody defined is a 422 naming it. */
const record = z.record(z.string(), z.unknown());
const nodes = z.union([z.literal('*'), z.array(z.string())]);

/** The fields of a cron that become each run's body (checked as a run body when the cron is created). */
export const CRON_RUN_FIELDS = [
  'input',
  'config',
  'context',
  'interrupt_before',
  'interrupt_after',
  'webhook',
  'multitask_strategy',
  'checkpoint_during',
  'durability',
  'stream_mode',
  'stream_subgraphs',
  'stream_resumable',
] as const;

export const cronCreateSchema = z
  .object({
    assistant_id: z.string().min(1),
    schedule: z.string().min(1).max(256),
    timezone: z.string().max(64).nullish(),
    end_time: z.iso.datetime({ offset: true }).nullish(),
    enabled: z.boolean().nullish(),
    on_run_completed: z.enum(['delete', 'keep']).nullish(),
    metadata: record.nullish(),
    input: z.unknown().optional(),
    config: record.nullish(),
    context: record.nullish(),
    interrupt_before: nodes.nullish(),
    interrupt_after: nodes.nullish(),
    webhook: z.string().nullish(),
    multitask_strategy: z.enum(['reject', 'interrupt', 'rollback', 'enqueue']).nullish(),
    checkpoint_during: z.boolean().nullish(),
    durability: z.enum(['sync', 'async', 'exit']).nullish(),
    stream_mode: z.unknown().optional(),
    stream_subgraphs: z.boolean().nullish(),
    stream_resumable: z.boolean().nullish(),
  })
  .strict();
export type CronCreate = z.infer<typeof cronCreateSchema>;

export const cronPatchSchema = cronCreateSchema.omit({ assistant_id: true }).partial().strict();

export const cronSearchSchema = z
  .object({
    assistant_id: z.string().optional(),
    thread_id: z.string().optional(),
    enabled: z.boolean().optional(),
    metadata: record.optional(),
    limit: z.number().int().min(1).max(1000).default(10),
    offset: z.number().int().min(0).default(0),
    sort_by: z.enum(['cron_id', 'assistant_id', 'thread_id', 'created_at', 'updated_at', 'next_run_date']).optional(),
    sort_order: z.enum(['asc', 'desc']).optional(),
    select: z.array(z.string()).optional(),
  })
  .strict();

export const cronCountSchema = z
  .object({ assistant_id: z.string().optional(), thread_id: z.string().optional(), metadata: record.optional() })
  .strict();

export const cronParam = z.object({ cron_id: z.uuid({ error: 'must be a UUID' }) });
