import { z } from 'zod';
import { assistantIdSchema, decisionSchema, threadIdSchema } from '../http/chat/chat.schemas.js';

export const wsChatSchema = z.object({
  message: z.string({ error: 'is required and must be a string' }).refine((m) => m.trim().length > 0, 'must not be empty'),
  thread_id: threadIdSchema.optional(),
  assistant_id: assistantIdSchema.optional(),
  multitask_strategy: z.enum(['reject', 'enqueue', 'interrupt', 'rollback']).optional(),
});

export const wsSubscribeSchema = z.object({
  thread_id: threadIdSchema,
  run_id: z.uuid({ error: 'must be a UUID' }).optional(),
  after_seq: z.number().int().min(0).optional(),
});

export const wsUnsubscribeSchema = z.object({ thread_id: threadIdSchema });

export const wsApproveSchema = decisionSchema.extend({
  thread_id: threadIdSchema,
  interrupt_id: z.string().min(1).max(200),
});

export const wsCancelSchema = z.object({ thread_id: threadIdSchema, run_id: z.uuid({ error: 'must be a UUID' }) });

export const wsAuthSchema = z.object({ token: z.string().min(1) });
