import { z } from 'zod';

/** 1–128 characters of letters, digits and `_ . : -` (UUIDs included). */
export const threadIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 _ . : -');

export const assistantIdSchema = z.string({ error: 'must be a string' }).min(1).max(128);

export const chatStreamBodySchema = z.object({
  message: z
    .string({ error: 'is required and must be a string' })
    .refine((m) => m.trim().length > 0, 'must not be empty'),
  thread_id: threadIdSchema.optional(),
  assistant_id: assistantIdSchema.optional(),
  timeout_ms: z.number().int().positive().optional(),
});
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
