import { z } from 'zod';

/**
 * Bodies of the Platform API's assistant management routes, as SDK 1.x sends them. Strict
 * like the others: a field nobody defined is a 422 naming it.
 */
const record = z.record(z.string(), z.unknown());

/** What an assistant may carry into its runs' config (the run's own config wins, key by key). */
export const assistantConfigSchema = z
  .object({
    tags: z.array(z.string()).optional(),
    recursion_limit: z.number().int().positive().optional(),
    configurable: record.optional(),
  })
  .strict();

export const assistantCreateSchema = z
  .object({
    graph_id: z.string().min(1),
    assistant_id: z.uuid({ error: 'must be a UUID' }).optional(),
    config: assistantConfigSchema.nullish(),
    context: record.nullish(),
    metadata: record.nullish(),
    if_exists: z.enum(['raise', 'do_nothing']).nullish(),
    name: z.string().min(1).max(256).nullish(),
    description: z.string().max(4096).nullish(),
  })
  .strict();

export const assistantPatchSchema = z
  .object({
    graph_id: z.string().min(1).nullish(),
    config: assistantConfigSchema.nullish(),
    context: record.nullish(),
    metadata: record.nullish(),
    name: z.string().min(1).max(256).nullish(),
    description: z.string().max(4096).nullish(),
  })
  .strict();

export const assistantCountSchema = z
  .object({ graph_id: z.string().optional(), name: z.string().optional(), metadata: record.optional() })
  .strict();

export const assistantVersionsSchema = z
  .object({
    limit: z.number().int().min(1).max(1000).default(10),
    offset: z.number().int().min(0).default(0),
    metadata: record.optional(),
  })
  .strict();

export const assistantLatestSchema = z.object({ version: z.number().int().min(1) }).strict();

export const assistantDeleteQuery = z.object({ delete_threads: z.enum(['true', 'false', '1', '0']).optional() });
