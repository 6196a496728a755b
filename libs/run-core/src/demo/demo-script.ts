import { createHash } from 'node:crypto';
import type { BaseMessage } from '@langchain/core/messages';
import { messageText } from '../message-format.js';

export interface DemoPlan {
  text: string;
  toolCall?: { name: string; args: Record<string, unknown>; id: string };
}

export const REFUND_TOOL = 'issue_refund';

/**
 * What the demo model says, from the conversation so far: a reply that proves the thread's
 * memory, a refund request that needs approval, or a report on what the refund tool did.
 */
export function planReply(messages: BaseMessage[]): DemoPlan {
  const last = messages[messages.length - 1];
  if (last?.type === 'tool') {
    const outcome = messageText(last.content);
    return {
      text: outcome.startsWith('Refund issued')
        ? `Done. ${outcome}`
        : `I did not issue the refund. ${outcome}`,
    };
  }
  const humans = messages.filter((m) => m.type === 'human');
  const said = messageText(last?.content ?? '').trim();
  if (/\brefund/i.test(said)) {
    const args = parseRefund(said);
    return {
      text: `I can do that, but a refund needs approval first. Requesting approval to refund $${args.amount.toFixed(2)} for order ${args.order_id}.`,
      toolCall: { name: REFUND_TOOL, args, id: `call_${createHash('sha256').update(said + humans.length).digest('hex').slice(0, 16)}` },
    };
  }
  const turn = humans.length;
  let text = `Hello! You said "${clip(said)}". I am Riser's demo agent, streaming this reply word by word. This is message ${turn} of our conversation.`;
  if (turn > 1) text += ` Earlier you said "${clip(messageText(humans[0].content))}".`;
  return { text };
}

/** Word-sized tokens, each keeping the whitespace after it, so they concatenate back. */
export function tokenize(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

function parseRefund(text: string): { order_id: string; amount: number } {
  const order = /order\s*#?\s*([A-Za-z0-9][A-Za-z0-9-]*)/i.exec(text)?.[1] ?? 'A-1001';
  const amount = Number(/\$\s*(\d+(?:\.\d{1,2})?)/.exec(text)?.[1] ?? /(\d+(?:\.\d{1,2})?)\s*(?:usd|dollars)/i.exec(text)?.[1] ?? 25);
  return { order_id: order, amount };
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
