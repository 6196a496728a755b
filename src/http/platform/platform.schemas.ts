import { z } from 'zod';
import { threadIdSchema } from '../chat/chat.schemas.js';

/**
 * Bodies of the LangGraph Platform API as the official clients send them — the JS
 * `@langchain/langgraph-sdk` and the Python `langgraph-sdk`, current and a year old. Objects
 * are strict: a field nobody defined is a 422 naming it, rather than silently ignored; the
 * clients' fields Riser does not act on are accepted and listed as such (README).
 */
const record = z.record(z.string(), z.unknown());
const nodes = z.union([z.literal('*'), z.array(z.string())]);

export const STREAM_MODES = ['values', 'messages', 'messages-tuple', 'updates', 'events', 'tasks', 'checkpoints', 'debug', 'custom', 'tools'] as const;
export type PlatformStreamMode = (typeof STREAM_MODES)[number];

const checkpointSchema = z
  .object({
    thread_id: z.string().optional(),
    checkpoint_ns: z.string().optional(),
    checkpoint_id: z.string().optional(),
    checkpoint_map: record.nullish(),
  })
  .strict();

const configSchema = z
  .object({
    tags: z.array(z.string()).optional(),
    recursion_limit: z.number().int().positive().optional(),
    configurable: record.optional(),
    metadata: record.optional(),
    run_name: z.string().optional(),
    max_concurrency: z.number().int().positive().optional(),
    run_id: z.string().optional(),
  })
  .strict();

const commandSchema = z
  .object({
    resume: z.unknown().optional(),
    update: z.unknown().optional(),
    goto: z.unknown().optional(),
  })
  .strict();

export const runCreateSchema = z
  .object({
    assistant_id: z.string().min(1),
    input: z.unknown().optional(),
    command: commandSchema.nullish(),
    config: configSchema.nullish(),
    context: record.nullish(),
    metadata: record.nullish(),
    stream_mode: z.union([z.enum(STREAM_MODES), z.array(z.enum(STREAM_MODES))]).optional(),
    stream_subgraphs: z.boolean().optional(),
    stream_resumable: z.boolean().optional(),
    interrupt_before: nodes.optional(),
    interrupt_after: nodes.optional(),
    multitask_strategy: z.enum(['reject', 'interrupt', 'rollback', 'enqueue']).optional(),
    on_disconnect: z.enum(['cancel', 'continue']).optional(),
    on_completion: z.enum(['delete', 'keep']).optional(),
    if_not_exists: z.enum(['reject', 'create']).optional(),
    checkpoint: checkpointSchema.nullish(),
    checkpoint_id: z.string().nullish(),
    after_seconds: z.number().min(0).max(86_400).optional(),
    // Sent by the SDKs; Riser accepts and does not act on them.
    webhook: z.string().nullish(),
    // The Python SDK's sync client sends its own `raise_error` (whether *it* raises on an
    // `__error__` result): meaningless to a server, as on the official one.
    raise_error: z.boolean().nullish(),
    feedback_keys: z.array(z.string()).nullish(),
    strict_resume: z.boolean().nullish(),
    checkpoint_during: z.boolean().nullish(),
    durability: z.enum(['sync', 'async', 'exit']).nullish(),
    // Refused, not ignored: a per-run LangSmith project is not supported; the server's
    // LANGSMITH_TRACING traces every run (README: Traces).
    langsmith_tracer: z.null({ error: 'is not supported by Riser: set LANGSMITH_TRACING (and LANGSMITH_PROJECT) on the server instead' }).optional(),
  })
  .strict();
export type RunCreate = z.infer<typeof runCreateSchema>;

export const threadCreateSchema = z
  .object({
    thread_id: threadIdSchema.optional(),
    metadata: record.optional(),
    if_exists: z.enum(['raise', 'do_nothing']).optional(),
    supersteps: z.array(z.unknown()).optional(),
    ttl: z.unknown().optional(),
  })
  .strict();

export const threadPatchSchema = z.object({ metadata: record, ttl: z.unknown().optional() }).strict();

export const threadSearchSchema = z
  .object({
    ids: z.array(z.string()).optional(),
    metadata: record.optional(),
    values: record.optional(),
    status: z.enum(['idle', 'busy', 'interrupted', 'error']).optional(),
    limit: z.number().int().min(1).max(1000).default(10),
    offset: z.number().int().min(0).default(0),
    // `state_updated_at`: Riser updates a thread's row whenever a run or update changes its state.
    sort_by: z.enum(['thread_id', 'status', 'created_at', 'updated_at', 'state_updated_at']).default('created_at'),
    sort_order: z.enum(['asc', 'desc']).default('desc'),
    select: z.array(z.string()).optional(),
    extract: z.unknown().optional(),
  })
  .strict();

export const stateUpdateSchema = z
  .object({
    values: z.unknown(),
    as_node: z.string().optional(),
    checkpoint_id: z.string().optional(),
    checkpoint: checkpointSchema.optional(),
  })
  .strict();

export const stateAtCheckpointSchema = z
  .object({ checkpoint: checkpointSchema, subgraphs: z.boolean().optional(), select: z.array(z.string()).optional() })
  .strict();

export const historySchema = z
  .object({
    limit: z.number().int().min(1).max(1000).default(10),
    // A checkpoint id (JS SDK, official JS server), a config `{configurable}` (JS SDK types),
    // or a Checkpoint `{thread_id, checkpoint_ns, checkpoint_id, …}` (Python SDK).
    before: z.union([z.string(), z.object({ configurable: record }).passthrough(), checkpointSchema]).nullish(),
    metadata: record.nullish(),
    checkpoint: checkpointSchema.nullish(),
    select: z.array(z.string()).optional(),
  })
  .strict();

export const assistantSearchSchema = z
  .object({
    graph_id: z.string().optional(),
    name: z.string().optional(),
    metadata: record.optional(),
    limit: z.number().int().min(1).max(1000).default(10),
    offset: z.number().int().min(0).default(0),
    sort_by: z.string().optional(),
    sort_order: z.enum(['asc', 'desc']).optional(),
    select: z.array(z.string()).optional(),
  })
  .strict();

export const threadParam = z.object({ thread_id: threadIdSchema });
export const runParam = z.object({ thread_id: threadIdSchema, run_id: z.uuid({ error: 'must be a UUID' }) });
export const cancelQuery = z.object({
  wait: z.enum(['0', '1', 'true', 'false']).optional(),
  action: z.enum(['interrupt', 'rollback']).default('interrupt'),
  reason: z.string().optional(),
});
export const listRunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.string().optional(),
  select: z.unknown().optional(),
});
export const checkpointParam = z.object({ thread_id: threadIdSchema, checkpoint_id: z.string().min(1) });
export const stateQuery = z.object({ subgraphs: z.enum(['true', 'false', '1', '0']).optional(), select: z.unknown().optional() });
export const historyQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  before: z.string().optional(),
  /** JSON, as the official server reads it on GET. */
  metadata: z.string().optional(),
});
/** `GET …/join` and `…/stream`: the SDKs send `cancel_on_disconnect` (`1`/`0`, `true`/`false`). */
export const joinQuery = z.object({ cancel_on_disconnect: z.enum(['0', '1', 'true', 'false', 'True', 'False']).optional() });
/** Assistants are the graphs of langgraph.json (and the demo agent), named by graph id. */
export const assistantParam = z.object({ assistant_id: z.string().min(1) });
export const subgraphParam = z.object({ assistant_id: z.string().min(1), namespace: z.string().min(1) });
/** `GET …/runs/:run_id/stream`: the modes to receive (repeated or comma-separated), as on the Platform. */
export const joinStreamQuery = z.object({
  stream_mode: z.union([z.string(), z.array(z.string())]).optional(),
  cancel_on_disconnect: z.enum(['0', '1', 'true', 'false', 'True', 'False']).optional(),
});
