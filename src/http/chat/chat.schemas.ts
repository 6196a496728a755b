import { z } from 'zod';

/** 1–128 characters of letters, digits and `_ . : -` (UUIDs included). */
export const threadIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 _ . : -');

export const assistantIdSchema = z.string({ error: 'must be a string' }).min(1).max(128);

export const decisionSchema = z.object({
  decision: z.enum(['approve', 'reject', 'edit'], { error: 'must be "approve", "reject" or "edit"' }),
  value: z.unknown().optional(),
  comment: z.string().max(2000).optional(),
});

const messageSchema = z
  .string({ error: 'is required and must be a string' })
  .refine((m) => m.trim().length > 0, 'must not be empty');

/** A new message, or (with `resume`) a decision on the thread's interrupt, streamed. */
export const chatStreamBodySchema = z
  .object({
    message: z.unknown().optional(),
    thread_id: threadIdSchema.optional(),
    assistant_id: assistantIdSchema.optional(),
    timeout_ms: z.number().int().positive().optional(),
    /** `continue` (default): the run finishes when every client is gone; `cancel`: it stops. */
    on_disconnect: z.enum(['continue', 'cancel'], { error: 'must be "continue" or "cancel"' }).optional(),
    /** What to do when the thread is busy: `reject` (409, default), `enqueue`, `interrupt`, `rollback`. */
    multitask_strategy: z
      .enum(['reject', 'enqueue', 'interrupt', 'rollback'], { error: 'must be "reject", "enqueue", "interrupt" or "rollback"' })
      .optional(),
    /** Passed to the graph: `configurable` values (beyond thread_id), recursion limit. */
    config: z
      .object({
        configurable: z.record(z.string(), z.unknown()).optional(),
        recursion_limit: z.number().int().positive().max(10_000).optional(),
      })
      .strict()
      .optional(),
    resume: decisionSchema.extend({ interrupt_id: z.string().min(1).max(200) }).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.resume) {
      if (!body.thread_id) ctx.addIssue({ code: 'custom', path: ['thread_id'], message: 'is required with resume' });
      return;
    }
    const parsed = messageSchema.safeParse(body.message);
    if (!parsed.success) ctx.addIssue({ code: 'custom', path: ['message'], message: parsed.error.issues[0].message });
  })
  .transform((body) => ({ ...body, message: body.message as string | undefined }));
export type ChatStreamBody = z.infer<typeof chatStreamBodySchema>;

export const threadParamsSchema = z.object({ thread_id: threadIdSchema });

/** GET /chat/stream: rejoin a run (EventSource-friendly). */
export const rejoinQuerySchema = z.object({
  thread_id: threadIdSchema,
  run_id: z.uuid({ error: 'must be a UUID' }).optional(),
  last_event_id: z.string().regex(/^\d+$/, 'must be a non-negative integer').optional(),
  access_token: z.string().optional(),
});
export type RejoinQuery = z.infer<typeof rejoinQuerySchema>;

export const approvalParamsSchema = z.object({ thread_id: threadIdSchema, interrupt_id: z.string().min(1).max(200) });
export const runParamsSchema = z.object({ thread_id: threadIdSchema, run_id: z.uuid({ error: 'must be a UUID' }) });

/** GET /chat/approvals: how many pending approvals at most (up to MAX_PAGE_SIZE). */
export const approvalListQuerySchema = z.object({
  limit: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(1).max(1000).default(100),
});
